/// An agent principal's keys (`agent-<agentUserId>`, platform store): issued at signup, revoked
/// by the agent or an admin; uses and refusals recorded coarsely (once a day per key).
public enum AgentKeyDecider: Decider {
    public struct Key: Sendable, Equatable {
        public var revoked = false
        public var lastUsedDay: String?
        public var lastRefusedDay: String?
    }

    public struct State: Sendable, Equatable {
        public var keys: [String: Key] = [:]
    }

    public enum Command: Sendable {
        case issue(agentUserId: String, keyId: String, keyHash: String, handle: String?, ownerUserId: String?, scopes: [String], description: String?)
        case revoke(agentUserId: String, keyId: String)
        case recordUse(agentUserId: String, keyId: String, day: String)
        case recordRefusal(agentUserId: String, keyId: String, day: String)
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .issue(let agentUserId, let keyId, let keyHash, let handle, let ownerUserId, let scopes, let description):
            try Check.identifier(agentUserId, "agentUserId")
            try Check.identifier(keyId, "keyId")
            guard keyHash.count == 64, keyHash.allSatisfy(\.isHexDigit) else { throw DomainError.invalid("keyHash must be 64 hex digits") }
            if let handle { try Check.text(handle, "handle", max: 64) }
            if let ownerUserId { try Check.identifier(ownerUserId, "owner_workos_user_id") }
            if let description { try Check.text(description, "description", max: 1_000) }
            guard scopes.count <= 32 else { throw DomainError.invalid("at most 32 scopes") }
            for scope in scopes { try Check.identifier(scope, "scopes") }
            guard state.keys[keyId] == nil else { throw DomainError.conflict("key \(keyId) already exists") }
            return [.agentKeyIssued(AgentKeyIssued(agentUserId: agentUserId, keyId: keyId, keyHash: keyHash.lowercased(), handle: handle,
                                                   ownerUserId: ownerUserId, scopes: scopes, description: description))]
        case .revoke(let agentUserId, let keyId):
            guard let key = state.keys[keyId] else { throw DomainError.notFound("no key \(keyId)") }
            guard !key.revoked else { return [] }
            return [.agentKeyRevoked(AgentKeyRevoked(agentUserId: agentUserId, keyId: keyId, by: context.actor))]
        case .recordUse(let agentUserId, let keyId, let day):
            guard let key = state.keys[keyId], !key.revoked, key.lastUsedDay != day else { return [] }
            return [.agentKeyUsed(AgentKeyUsed(agentUserId: agentUserId, keyId: keyId, day: day))]
        case .recordRefusal(let agentUserId, let keyId, let day):
            guard let key = state.keys[keyId], key.revoked, key.lastRefusedDay != day else { return [] }
            return [.agentKeyRefused(AgentKeyRefused(agentUserId: agentUserId, keyId: keyId, day: day))]
        }
    }

    public static func evolve(_ state: consuming State, _ event: DomainEvent) -> State {
        switch event {
        case .agentKeyIssued(let e): state.keys[e.keyId] = Key()
        case .agentKeyRevoked(let e): state.keys[e.keyId]?.revoked = true
        case .agentKeyUsed(let e): state.keys[e.keyId]?.lastUsedDay = e.day
        case .agentKeyRefused(let e): state.keys[e.keyId]?.lastRefusedDay = e.day
        default: break
        }
        return state
    }
}
