import EventStore
import Foundation
import GRDB
import Projections

/// The secrets a tenant may store: its own model-provider keys, which the runtime's model calls
/// (chat, session sends, tool invocations) then carry in the headers the runtime reads.
enum ProviderSecret: String, CaseIterable, Sendable {
    case openai = "openai_api_key"
    case openrouter = "openrouter_api_key"
    case anthropic = "anthropic_api_key"

    /// The runtime's header for this key.
    var header: String {
        switch self {
        case .openai: "x-openclaw-openai-key"
        case .openrouter: "x-openclaw-openrouter-key"
        case .anthropic: "x-openclaw-anthropic-key"
        }
    }
}

/// Sealed secret values in the tenant's own store file (table `tenant_secrets`, outside the
/// event log), one row per name and fingerprint. The log records only `secret.rotated` (name and
/// fingerprint) and `secret.removed`; the `instance` projection's `secrets` collection says which
/// fingerprint is current, and that row is the value. A row is written before its event, so an
/// event never names a value that is missing; rows no longer current (replaced or removed
/// values) are pruned after the event.
enum SecretTable {
    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS tenant_secrets (
                name        TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                algorithm   TEXT NOT NULL,
                nonce       BLOB NOT NULL,
                ciphertext  BLOB NOT NULL,
                PRIMARY KEY (name, fingerprint)
            ) STRICT
            """)
    }

    static func put(_ db: Database, name: String, fingerprint: String, _ sealed: SecretBox.Sealed) throws {
        try db.execute(sql: """
            INSERT INTO tenant_secrets (name, fingerprint, algorithm, nonce, ciphertext) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (name, fingerprint) DO UPDATE SET algorithm = excluded.algorithm, nonce = excluded.nonce, ciphertext = excluded.ciphertext
            """, arguments: [name, fingerprint, SecretBox.algorithm, sealed.nonce, sealed.ciphertext])
    }

    /// Deletes every sealed value but the current one of each name, as `projector`'s `instance`
    /// view says (replaced and removed values).
    static func prune(_ db: Database, _ projector: Projector) throws {
        let current = try self.current(db, projector)
        for row in try GRDB.Row.fetchAll(db, sql: "SELECT name, fingerprint FROM tenant_secrets") where current[row["name"]] != row["fingerprint"] {
            try db.execute(sql: "DELETE FROM tenant_secrets WHERE name = ? AND fingerprint = ?", arguments: [row["name"], row["fingerprint"]])
        }
    }

    /// The current fingerprint of each stored secret, by name, as the `instance` view says.
    static func current(_ db: Database, _ projector: Projector) throws -> [String: String] {
        let rows = try projector.rows(db, "instance", "secrets", RowQuery(order: .ascending, limit: 1_000))
        return Dictionary(rows.compactMap { row in row.string("name").flatMap { name in row.string("fingerprint").map { (name, $0) } } },
                          uniquingKeysWith: { first, _ in first })
    }

    static func sealed(_ db: Database, name: String, fingerprint: String) throws -> SecretBox.Sealed? {
        try GRDB.Row.fetchOne(db, sql: "SELECT nonce, ciphertext FROM tenant_secrets WHERE name = ? AND fingerprint = ? AND algorithm = ?",
                         arguments: [name, fingerprint, SecretBox.algorithm])
            .map { SecretBox.Sealed(ciphertext: $0["ciphertext"], nonce: $0["nonce"]) }
    }
}
