import Foundation
import GRDB
import GRDBSQLite

/// Typed access to rows of the `events` table, through cached statements. Every function runs
/// inside a database access the caller opened (a read, or the writer's transaction).
public enum EventRows {
    static let columns = "position, stream, stream_version, event_id, type, schema_version, data, metadata, recorded_at, hash"

    /// The last position and its hash (0 and ``EventHash/genesis`` for an empty log).
    public static func head(_ db: Database) throws -> (position: Int64, hash: EventDigest) {
        let statement = try db.cachedStatement(sql: "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1")
        guard let row = try Row.fetchOne(statement) else { return (0, EventHash.genesis) }
        return (row[0], row[1])
    }

    /// The current version of `stream` (0 when it has no event).
    public static func version(of stream: String, _ db: Database) throws -> Int64 {
        let statement = try db.cachedStatement(
            sql: "SELECT stream_version FROM events WHERE stream = ? ORDER BY stream_version DESC LIMIT 1")
        return try Int64.fetchOne(statement, arguments: [stream]) ?? 0
    }

    /// Up to `limit` events of the tenant log with `after < position <= through`, in order.
    public static func log(after position: Int64, through last: Int64 = .max, limit: Int, _ db: Database) throws -> [RecordedEvent] {
        let statement = try db.cachedStatement(
            sql: "SELECT \(columns) FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?")
        return try decode(statement, arguments: [position, last, limit])
    }

    /// Up to `limit` events of `stream` from `version` on, in order.
    public static func stream(_ stream: String, from version: Int64, limit: Int, _ db: Database) throws -> [RecordedEvent] {
        let statement = try db.cachedStatement(
            sql: "SELECT \(columns) FROM events WHERE stream = ? AND stream_version >= ? ORDER BY stream_version LIMIT ?")
        return try decode(statement, arguments: [stream, version, limit])
    }

    /// The event with `id`, if any.
    static func event(id: UUID, _ db: Database) throws -> RecordedEvent? {
        let statement = try db.cachedStatement(sql: "SELECT \(columns) FROM events WHERE event_id = ?")
        return try decode(statement, arguments: [id.storedSpelling]).first
    }

    /// Inserts one row exactly as given.
    static func insert(_ event: RecordedEvent, _ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO events (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try statement.execute(arguments: [
            event.position, event.stream, event.streamVersion, event.id.storedSpelling, event.type,
            event.schemaVersion, event.data, event.metadata, event.recordedAt, event.hash,
        ])
    }

    /// Decodes rows selected with ``columns``. The id and hash columns have fixed sizes and are
    /// parsed in place from the statement's bytes: going through `Data` or `String` first made
    /// them the costliest part of a log read.
    private static func decode(_ statement: Statement, arguments: StatementArguments) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        let sqlite = statement.sqliteStatement
        while let row = try rows.next() {
            guard let id = UUID(storedSpelling: bytes(sqlite, column: 3, text: true)) else {
                throw EventStoreError.corruptStore("event at position \(row[0] as Int64) has a malformed id")
            }
            guard let hash = EventDigest(bytes: bytes(sqlite, column: 9, text: false)) else {
                throw EventStoreError.corruptStore("event at position \(row[0] as Int64) has a malformed hash")
            }
            events.append(RecordedEvent(
                position: row[0], stream: row[1], streamVersion: row[2], id: id, type: row[4],
                schemaVersion: row[5], data: row[6], metadata: row[7], recordedAt: row[8], hash: hash))
        }
        return events
    }

    /// The bytes of the current row's column, valid until the statement steps again.
    private static func bytes(_ statement: SQLiteStatement, column: Int32, text: Bool) -> UnsafeRawBufferPointer {
        let start = text ? UnsafeRawPointer(sqlite3_column_text(statement, column)) : sqlite3_column_blob(statement, column)
        return UnsafeRawBufferPointer(start: start, count: Int(sqlite3_column_bytes(statement, column)))
    }
}
