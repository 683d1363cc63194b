import Foundation
import GRDB
import GRDBSQLite

/// Writes projection rows into one table with two prepared statements, binding straight to
/// SQLite: flushing a rebuild writes every row of a view, so per-row overhead matters.
struct RowWriter {
    private let upsert: Statement
    private let delete: Statement

    init(_ db: Database, table: String) throws {
        upsert = try db.cachedStatement(sql: """
            INSERT INTO "\(table)" (key, scope, sort, position, body) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (key) DO UPDATE SET scope = excluded.scope, sort = excluded.sort,
                position = excluded.position, body = excluded.body
            """)
        delete = try db.cachedStatement(sql: "DELETE FROM \"\(table)\" WHERE key = ?")
    }

    /// Inserts or replaces the row at `key`; `body` is its JSON.
    func put(_ key: String, scope: String, sort: Int64, position: Int64, body: [UInt8]) throws {
        let statement = upsert.sqliteStatement
        bind(key, 1, statement)
        bind(scope, 2, statement)
        sqlite3_bind_int64(statement, 3, sort)
        sqlite3_bind_int64(statement, 4, position)
        body.withUnsafeBufferPointer { buffer in
            _ = sqlite3_bind_text(statement, 5, buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                  Int32(buffer.count), SQLITE_TRANSIENT)
        }
        try step(statement)
    }

    func remove(_ key: String) throws {
        let statement = delete.sqliteStatement
        bind(key, 1, statement)
        try step(statement)
    }

    private func bind(_ text: String, _ index: Int32, _ statement: SQLiteStatement) {
        var text = text
        text.withUTF8 { buffer in
            _ = sqlite3_bind_text(statement, index, buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                  Int32(buffer.count), SQLITE_TRANSIENT)
        }
    }

    private func step(_ statement: SQLiteStatement) throws {
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(statement))))
        }
    }
}

/// SQLite copies the bound bytes (the buffers above do not outlive the call).
private let SQLITE_TRANSIENT = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
