import EventStore
import Foundation
import GRDB

/// The first answers of requests whose answer the event log does not hold — a tool call's result,
/// a session send's reply envelope — kept in the tenant's own store file (table
/// `retained_responses`, outside the event log) for 24 hours, as the IETF Idempotency-Key draft
/// keeps them: a retry with the same `Idempotency-Key` is answered from here, and the runtime,
/// which ignores idempotency keys, is not called again.
///
/// The key is the request's idempotency scope: the route and the key (a tenant's store holds
/// only that tenant's answers). Answers older than a day are deleted when a new one is kept.
enum RetainedResponses {
    static let lifetime: Int64 = 24 * 3_600 * 1_000

    /// Now, in ms.
    static var now: Int64 { Int64(Date().timeIntervalSince1970 * 1_000) }

    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS retained_responses (
                key       TEXT PRIMARY KEY,
                status    INTEGER NOT NULL,
                body      BLOB NOT NULL,
                stored_at INTEGER NOT NULL
            ) STRICT
            """)
    }

    /// Keeps `body` as the answer to the request `key`, unless one is kept already.
    static func keep(_ store: EventStore, key: String, status: Int, body: Data, now: Int64) async throws {
        try await store.write { db in
            try db.execute(sql: "DELETE FROM retained_responses WHERE stored_at < ?", arguments: [now - lifetime])
            try db.execute(sql: "INSERT OR IGNORE INTO retained_responses (key, status, body, stored_at) VALUES (?, ?, ?, ?)",
                           arguments: [key, status, body, now])
        }
    }

    /// The answer kept for `key`, if it is younger than a day.
    static func answer(_ store: EventStore, key: String, now: Int64) async throws -> (status: Int, body: Data)? {
        try await store.read { db in
            try GRDB.Row.fetchOne(db, sql: "SELECT status, body FROM retained_responses WHERE key = ? AND stored_at >= ?",
                                  arguments: [key, now - lifetime]).map { (status: $0["status"], body: $0["body"]) }
        }
    }
}
