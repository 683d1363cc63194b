import Domain
import GRDB

/// An agent's API key as the ``AdminDirectory`` holds it (never the key itself).
public struct AgentKeyRecord: Sendable, Equatable {
    public let keyId: String
    public let agentUserId: String
    public let revoked: Bool
    public let lastUsedDay: String?
}

extension Projector {
    /// The key whose HMAC is `hash`, if one was issued.
    public func agentKey(_ db: Database, hash: String) throws -> AgentKeyRecord? {
        guard let keyId = try row(db, "admin", "agent_key_hashes", key: hash)?.string("keyId") else { return nil }
        return try agentKey(db, id: keyId)
    }

    public func agentKey(_ db: Database, id: String) throws -> AgentKeyRecord? {
        guard let row = try row(db, "admin", "agent_keys", key: id), let agentUserId = row.string("agentUserId") else { return nil }
        return AgentKeyRecord(keyId: id, agentUserId: agentUserId, revoked: row["revokedAt"] != .null && row["revokedAt"] != nil,
                              lastUsedDay: row.string("lastUsedDay"))
    }
}
