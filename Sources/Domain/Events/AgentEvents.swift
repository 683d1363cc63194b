/// Agent principals' API keys (platform store, `agent-<agentUserId>`). A key is recorded only as
/// its HMAC-SHA256 under a server key, never as itself.

/// An agent signed up and was issued a key.
public struct AgentKeyIssued: EventPayload {
    public static let type = "agent_key.issued"
    public let agentUserId: String
    public let keyId: String
    /// HMAC-SHA256 of the key under the server's agent-key secret (hex).
    public let keyHash: String
    public let handle: String?
    public let ownerUserId: String?
    public let scopes: [String]
    public let description: String?
    public var stream: String { Streams.agent(agentUserId) }
}

public struct AgentKeyRevoked: EventPayload {
    public static let type = "agent_key.revoked"
    public let agentUserId: String
    public let keyId: String
    public let by: String
    public var stream: String { Streams.agent(agentUserId) }
}

/// A revoked key was presented (recorded at most once a day per key).
public struct AgentKeyRefused: EventPayload {
    public static let type = "agent_key.refused"
    public let agentUserId: String
    public let keyId: String
    public let day: String
    public var stream: String { Streams.agent(agentUserId) }
}

/// A key was used (recorded at most once a day per key: when it was last used, coarsely).
public struct AgentKeyUsed: EventPayload {
    public static let type = "agent_key.used"
    public let agentUserId: String
    public let keyId: String
    /// The UTC day, `YYYY-MM-DD`.
    public let day: String
    public var stream: String { Streams.agent(agentUserId) }
}
