/// Holding risky commands behind approvals, and releasing them once.
///
/// Provision, restart, delete, device approval, DM pairing approval and any charge the credits
/// rules refuse without approval are *held*: ``hold(_:approvalId:target:costEstimateMicros:_:)``
/// checks that the command could run now (a hopeless one is refused at once), then records
/// `approval.requested` with the whole command. ``grant(approvalId:approval:target:_:)`` records
/// `approval.granted` together with the released command's own events — one atomic append over
/// the approval's stream and the command's — and fails, writing nothing, if the approval is not
/// pending or the command can no longer run.
public enum ApprovalRelease {
    /// The state of the aggregate a held action works on (what the edge loads from its stream).
    public enum Target: Sendable {
        case instance(InstanceDecider.State, access: AccessStatus)
        case device(DevicePairingDecider.State)
        case dmPairing(DmPairingDecider.State)
        case credits(CreditsDecider.State)
    }

    /// The stream `action` works on.
    public static func stream(of action: HeldAction) -> String {
        switch action {
        case .provision, .restart, .deleteInstance: Streams.instance
        case .approveDevice(let requestId): Streams.device(requestId)
        case .approveDmPairing(let channel, _, _): Streams.dmPairing(channel)
        case .charge: Streams.credits
        }
    }

    /// Whether the released command is finished when released (a charge), or calls the runtime
    /// first and records `approval.executed` when the call returns.
    public static func completesOnRelease(_ action: HeldAction) -> Bool {
        if case .charge = action { return true }
        return false
    }

    /// `approval.requested` for `action`, after checking that it could run now.
    public static func hold(
        _ action: HeldAction, approvalId: String, target: Target, costEstimateMicros: Micros? = nil, inputDigest: String? = nil, _ context: DecisionContext
    ) throws -> [DomainEvent] {
        _ = try released(action, approvalId: approvalId, target: target, context)
        return try ApprovalDecider.decide(
            .request(approvalId: approvalId, action: action, costEstimateMicros: costEstimateMicros, inputDigest: inputDigest), ApprovalDecider.initialState, context)
    }

    /// `approval.granted`, the released command's events and, for a command that completes on
    /// release, `approval.executed`.
    public static func grant(
        approvalId: String, approval: ApprovalDecider.State, target: Target, _ context: DecisionContext
    ) throws -> [DomainEvent] {
        let granted = try ApprovalDecider.decide(.grant(approvalId: approvalId), approval, context)
        guard let action = approval.action else { throw DomainError.notFound("no approval \(approvalId)") }
        var events = granted + (try released(action, approvalId: approvalId, target: target, context))
        if completesOnRelease(action) {
            events += try ApprovalDecider.decide(
                .recordExecuted(approvalId: approvalId, outcome: .succeeded, detail: nil),
                ApprovalDecider.fold(granted, from: approval), context)
        }
        return events
    }

    /// The events of `action` released under `approvalId`.
    static func released(_ action: HeldAction, approvalId: String, target: Target, _ context: DecisionContext) throws -> [DomainEvent] {
        switch (action, target) {
        case (.provision(let instanceType), .instance(let state, let access)):
            return try InstanceDecider.decide(.provision(instanceType: instanceType, access: access, approvalId: approvalId), state, context)
        case (.restart, .instance(let state, _)):
            return try InstanceDecider.decide(.restart(approvalId: approvalId), state, context)
        case (.deleteInstance, .instance(let state, _)):
            return try InstanceDecider.decide(.delete(approvalId: approvalId), state, context)
        case (.approveDevice(let requestId), .device(let state)):
            return try DevicePairingDecider.decide(.approve(requestId: requestId, approvalId: approvalId), state, context)
        case (.approveDmPairing(let channel, let code, let notify), .dmPairing(let state)):
            return try DmPairingDecider.decide(.approve(channel: channel, code: code, notify: notify, approvalId: approvalId), state, context)
        case (.charge(let chargeId, let amount, let reason, let ref), .credits(let state)):
            return try CreditsDecider.decide(.charge(chargeId: chargeId, amountMicros: amount, reason: reason, ref: ref, approvalId: approvalId), state, context)
        default:
            preconditionFailure("the target of \(action.toolName) must be the state of \(stream(of: action))")
        }
    }
}
