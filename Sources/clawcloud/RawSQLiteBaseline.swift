import Crypto
import Foundation
import GRDBSQLite

/// The baselines of the benchmarks: the same work written directly against the SQLite C API —
/// for `bench store`, on a store file with the same schema and pragmas (WAL, synchronous=FULL);
/// for `bench replay`, the rows a rebuild writes, into tables of the same shape.
final class RawSQLiteBaseline {
    private var db: OpaquePointer?

    private var position: Int64 = 0
    private var previous = Data(repeating: 0, count: 32)
    private var versions = [Int64](repeating: 0, count: 16)

    init(path: String, synchronous: String = "FULL") throws {
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw BenchmarkError("cannot open \(path)") }
        try execute("PRAGMA journal_mode = WAL")
        try execute("PRAGMA synchronous = \(synchronous)")
    }

    /// A projection table's rows, as stored.
    struct TableRows {
        let name: String
        var rows: [(key: String, scope: String, sort: Int64, position: Int64, body: String)]
    }

    /// Creates each table as a rebuild does (clustered by key, no secondary index), loads its rows
    /// in key order in one transaction, then builds the `(scope, sort)` and `(position)` indexes:
    /// the least SQLite can do to store what a rebuild stores.
    func load(_ tables: [TableRows]) throws {
        for table in tables {
            try execute("""
                CREATE TABLE "\(table.name)" (key TEXT PRIMARY KEY NOT NULL, scope TEXT NOT NULL, sort INTEGER NOT NULL,
                    position INTEGER NOT NULL, body TEXT NOT NULL) STRICT, WITHOUT ROWID
                """)
        }
        try execute("BEGIN IMMEDIATE")
        for table in tables {
            let insert = try prepare("INSERT INTO \"\(table.name)\" (key, scope, sort, position, body) VALUES (?, ?, ?, ?, ?)")
            defer { sqlite3_finalize(insert) }
            for row in table.rows {
                bind(text: row.key, to: insert, at: 1)
                bind(text: row.scope, to: insert, at: 2)
                sqlite3_bind_int64(insert, 3, row.sort)
                sqlite3_bind_int64(insert, 4, row.position)
                bind(text: row.body, to: insert, at: 5)
                guard sqlite3_step(insert) == SQLITE_DONE else { throw BenchmarkError(message) }
                sqlite3_reset(insert)
            }
        }
        try execute("COMMIT")
        try execute("BEGIN IMMEDIATE")
        for table in tables {
            try execute("CREATE INDEX \"\(table.name)_scope_sort\" ON \"\(table.name)\" (scope, sort)")
            try execute("CREATE INDEX \"\(table.name)_position\" ON \"\(table.name)\" (position)")
        }
        try execute("COMMIT")
    }

    func close() {
        sqlite3_close(db)
    }

    /// `count` more transactions of one row each, the row shaped like the store's (hash chain included).
    func appendLoop(count: Int, payload: (Int) -> Data, metadata: Data) throws {
        let insert = try prepare("""
            INSERT INTO events (position, stream, stream_version, event_id, type, schema_version, data, metadata, recorded_at, hash)
            VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)
            """)
        defer { sqlite3_finalize(insert) }
        for _ in 0..<count {
            let index = Int(position)
            let data = payload(index)
            let stream = "bench-\(index % 16)"
            versions[index % 16] += 1
            let recordedAt = Int64(Date().timeIntervalSince1970 * 1000)
            var hasher = SHA256()
            hasher.update(data: previous)
            hasher.update(data: data)
            hasher.update(data: metadata)
            previous = Data(hasher.finalize())
            try execute("BEGIN IMMEDIATE")
            position += 1
            sqlite3_bind_int64(insert, 1, position)
            bind(text: stream, to: insert, at: 2)
            sqlite3_bind_int64(insert, 3, versions[index % 16])
            bind(text: UUID().uuidString.lowercased(), to: insert, at: 4)
            bind(text: "bench.appended", to: insert, at: 5)
            bind(blob: data, to: insert, at: 6)
            bind(blob: metadata, to: insert, at: 7)
            sqlite3_bind_int64(insert, 8, recordedAt)
            bind(blob: previous, to: insert, at: 9)
            guard sqlite3_step(insert) == SQLITE_DONE else { throw BenchmarkError(message) }
            sqlite3_reset(insert)
            try execute("COMMIT")
        }
    }

    /// Reads every row's columns into Swift values; returns the row count.
    func scan() throws -> Int {
        let select = try prepare("""
            SELECT position, stream, stream_version, event_id, type, schema_version, data, metadata, recorded_at, hash
            FROM events ORDER BY position
            """)
        defer { sqlite3_finalize(select) }
        var rows = 0
        var checksum = 0
        while sqlite3_step(select) == SQLITE_ROW {
            let position = sqlite3_column_int64(select, 0)
            let stream = text(select, 1)
            let version = sqlite3_column_int64(select, 2)
            let id = text(select, 3)
            let type = text(select, 4)
            let schema = sqlite3_column_int64(select, 5)
            let data = blob(select, 6)
            let metadata = blob(select, 7)
            let recordedAt = sqlite3_column_int64(select, 8)
            let hash = blob(select, 9)
            checksum &+= Int(position &+ version &+ schema &+ recordedAt) &+ stream.utf8.count &+ id.utf8.count
                &+ type.utf8.count &+ data.count &+ metadata.count &+ hash.count
            rows += 1
        }
        precondition(checksum != 0 || rows == 0)
        return rows
    }

    private var message: String { String(cString: sqlite3_errmsg(db)) }

    private func execute(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw BenchmarkError(message) }
    }

    private func prepare(_ sql: String) throws -> OpaquePointer? {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else { throw BenchmarkError(message) }
        return statement
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func bind(text: String, to statement: OpaquePointer?, at index: Int32) {
        sqlite3_bind_text(statement, index, text, -1, Self.transient)
    }

    private func bind(blob: Data, to statement: OpaquePointer?, at index: Int32) {
        _ = blob.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), Self.transient) }
    }

    private func text(_ statement: OpaquePointer?, _ column: Int32) -> String {
        String(cString: sqlite3_column_text(statement, column))
    }

    private func blob(_ statement: OpaquePointer?, _ column: Int32) -> Data {
        Data(bytes: sqlite3_column_blob(statement, column), count: Int(sqlite3_column_bytes(statement, column)))
    }
}
