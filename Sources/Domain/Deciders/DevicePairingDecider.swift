/// One device pairing request (`device-<requestId>`), as the gateway holds it: the gateway mints
/// the request when a device connects and keeps it 5 minutes. ClawCloud observes it
/// (``Command/observe(requestId:device:listed:paired:)``), approves it behind a human approval,
/// and records what the runtime answered; a paired device can be removed.
public enum DevicePairingDecider: Decider {
    public enum Status: String, Sendable { case none, pending, approved, rejected, expired, removed }

    public struct State: Sendable, Equatable {
        public var status: Status = .none
        public var deviceId = ""
        public var expiresAt: Millis = 0
    }

    public enum Command: Sendable {
        /// What the runtime's device list says of the request: `device` when it is pending there.
        /// `listed` says whether the list read was the runtime's whole list (a push names one
        /// request only); `paired` whether the device is among the paired ones.
        case observe(requestId: String, device: ObservedDevice?, listed: Bool, paired: Bool)
        /// Released from an approval.
        case approve(requestId: String, approvalId: String)
        /// The runtime answered an approval with `approved:false`: it no longer holds the request.
        case recordNotPaired(requestId: String)
        case reject(requestId: String)
        /// Records the expiry of a pending request past its TTL (nothing when there is none).
        case expire(requestId: String)
        case remove(requestId: String)
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .observe(let requestId, let device, let listed, let paired):
            try Check.identifier(requestId, "requestId")
            if let device {
                guard state.status == .none else { return [] }
                try Check.identifier(device.deviceId, "deviceId")
                try Check.text(device.role, "role", max: 64)
                return [.devicePairingRequested(DevicePairingRequested(
                    requestId: requestId, deviceId: device.deviceId, role: device.role, platform: device.platform, mode: device.clientMode,
                    displayName: device.displayName, scopes: device.scopes, expiresAt: device.createdAt + Expiry.devicePairing))]
            }
            // No longer pending in the runtime: paired there (approved outside ClawCloud), or gone.
            guard listed, state.status == .pending else { return [] }
            if paired {
                return [.deviceApproved(DeviceApproved(requestId: requestId, deviceId: state.deviceId, by: "runtime", approvalId: nil))]
            }
            return [.deviceExpired(DeviceExpired(requestId: requestId, deviceId: state.deviceId))]
        case .approve(let requestId, let approvalId):
            try requirePending(state, requestId, context)
            return [.deviceApproved(DeviceApproved(requestId: requestId, deviceId: state.deviceId, by: context.actor, approvalId: approvalId))]
        case .recordNotPaired(let requestId):
            guard state.status == .approved else { return [] }
            return [.deviceExpired(DeviceExpired(requestId: requestId, deviceId: state.deviceId))]
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
