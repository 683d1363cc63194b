/// One device pairing request (`device-<requestId>`): pending for 5 minutes, then approved
/// (behind a human approval), rejected or expired; a paired device can be removed.
public enum DevicePairingDecider: Decider {
    public enum Status: String, Sendable { case none, pending, approved, rejected, expired, removed }

    public struct State: Sendable, Equatable {
        public var status: Status = .none
        public var deviceId = ""
        public var expiresAt: Millis = 0
    }

    public enum Command: Sendable {
        case request(requestId: String, deviceId: String, role: String, platform: String?, mode: String?, displayName: String?, scopes: [String])
        /// Released from an approval.
        case approve(requestId: String, approvalId: String)
        case reject(requestId: String)
        /// Records the expiry of a pending request past its TTL (nothing when there is none).
        case expire(requestId: String)
        case remove(requestId: String)
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .request(let requestId, let deviceId, let role, let platform, let mode, let displayName, let scopes):
            try Check.identifier(requestId, "requestId")
            try Check.identifier(deviceId, "deviceId")
            if state.status == .pending, state.deviceId == deviceId { return [] }
            guard state.status == .none else { throw DomainError.conflict("request \(requestId) was already answered") }
            return [.devicePairingRequested(DevicePairingRequested(
                requestId: requestId, deviceId: deviceId, role: role, platform: platform, mode: mode, displayName: displayName,
                scopes: scopes, expiresAt: context.now + Expiry.devicePairing))]
        case .approve(let requestId, let approvalId):
            try requirePending(state, requestId, context)
            return [.deviceApproved(DeviceApproved(requestId: requestId, deviceId: state.deviceId, by: context.actor, approvalId: approvalId))]
        case .reject(let requestId):
            try requirePending(state, requestId, context)
            return [.deviceRejected(DeviceRejected(requestId: requestId, deviceId: state.deviceId, by: context.actor))]
        case .expire(let requestId):
            guard state.status == .pending, context.now >= state.expiresAt else { return [] }
            return [.deviceExpired(DeviceExpired(requestId: requestId, deviceId: state.deviceId))]
        case .remove(let requestId):
            guard state.status == .approved else { throw DomainError.conflict("device of request \(requestId) is not paired") }
            return [.deviceRemoved(DeviceRemoved(requestId: requestId, deviceId: state.deviceId, by: context.actor))]
        }
    }

    private static func requirePending(_ state: State, _ requestId: String, _ context: DecisionContext) throws {
        switch state.status {
        case .none: throw DomainError.notFound("no pairing request \(requestId)")
        case .pending where context.now >= state.expiresAt, .expired:
            throw DomainError.conflict("pairing request \(requestId) expired")
        case .pending: return
        default: throw DomainError.conflict("pairing request \(requestId) was already \(state.status.rawValue)")
        }
    }

    public static func evolve(_ state: consuming State, _ event: DomainEvent) -> State {
        switch event {
        case .devicePairingRequested(let e): state = State(status: .pending, deviceId: e.deviceId, expiresAt: e.expiresAt)
        case .deviceApproved: state.status = .approved
        case .deviceRejected: state.status = .rejected
        case .deviceExpired: state.status = .expired
        case .deviceRemoved: state.status = .removed
        default: break
        }
        return state
    }
}
