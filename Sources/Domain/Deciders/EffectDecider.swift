/// The attempts at one runtime side effect (`effect-<effectId>`): an attempt is recorded before
/// the call, and only one may be open at a time. Where an attempt's answer was lost,
/// ``EffectReconciliation`` decides from an observation of the runtime what happened.
public enum EffectDecider: Decider {
    public struct State: Sendable, Equatable {
        public var attempts: Int64 = 0
        /// The open attempt (started, with no outcome and not known to have missed).
        public var open: EffectStarted?
    }

    public enum Command: Sendable {
        case start(effectId: String, kind: String, boot: String)
        /// The open attempt did not take effect on the runtime.
        case recordNotApplied(effectId: String, reason: String)
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .start(let effectId, let kind, let boot):
            guard state.open == nil else { throw DomainError.conflict("effect \(effectId) has an attempt under way") }
            return [.effectStarted(EffectStarted(effectId: effectId, kind: kind, attempt: state.attempts + 1, boot: boot))]
        case .recordNotApplied(let effectId, let reason):
            guard state.open != nil else { return [] }
            return [.effectNotApplied(EffectNotApplied(effectId: effectId, reason: reason))]
        }
    }

    public static func evolve(_ state: consuming State, _ event: DomainEvent) -> State {
        switch event {
        case .effectStarted(let e): state.attempts = e.attempt; state.open = e
        case .effectNotApplied: state.open = nil
        default: break
        }
        return state
    }
}

/// What an observation of the runtime says about an effect whose answer was lost (a timeout, a
/// broken connection, a crash between the call and its outcome).
///
/// The runtime ignores idempotency keys, so calling again could perform the effect twice. Each
/// kind is reconciled by what the runtime shows: a restart by the gateway's status, a backup by
/// `lastBackup`, a device approval by the device lists, a DM approval by the pending codes. An
/// effect is attempted again only when it is safe to repeat and the observation shows it did not
/// happen.
public enum EffectReconciliation {
    /// What to read from the runtime to reconcile an effect of `kind` (nil: the effect is safe to
    /// repeat as it is: a provision check reads the status, a stop of a stopped gateway does nothing).
    public enum Read: Sendable, Equatable { case status, devices(requestId: String), pairing(channel: String, code: String), execApprovals }

    public enum Verdict: Sendable, Equatable {
        /// It happened (or failed): record this outcome, marked as observed.
        case done(succeeded: Bool, detail: String)
        /// It provably did not happen: it may be attempted again.
        case notApplied(String)
        /// Not decided yet (the gateway is still starting): look again later.
        case wait
    }

    /// What the runtime shows, read as ``read(for:)`` says.
    public enum Observation: Sendable, Equatable {
        case status(ObservedStatus)
        case devices(pending: Set<String>, pairedDeviceIds: Set<String>)
        case pairing(pendingCodes: Set<String>)
        case execApprovals(pendingIds: Set<String>)
    }

    public static func read(for kind: String, requestId: String?, channel: String?, code: String?) -> Read? {
        switch kind {
        case "restart", "backup": .status
        case "approve_device": .devices(requestId: requestId ?? "")
        case "approve_pairing": .pairing(channel: channel ?? "", code: code ?? "")
        case "resolve_exec": .execApprovals
        default: nil
        }
    }

    /// The verdict on an attempt of `kind` started at `startedAt` (ms), for the request
    /// `requestId` (a device request, an exec approval), the device `deviceId` or the code `code`
    /// where the kind has one.
    public static func verdict(kind: String, startedAt: Millis, requestId: String?, deviceId: String?, code: String?, _ observation: Observation) -> Verdict {
        switch (kind, observation) {
        case ("restart", .status(let status)):
            switch status.gateway {
            case .running: return .done(succeeded: true, detail: "observed: the gateway is running")
            case .starting: return .wait
            case .stopped, .error: return .done(succeeded: false, detail: "observed: the gateway is \(status.gateway.rawValue) after the restart")
            }
        case ("backup", .status(let status)):
            if let last = status.lastBackup, last >= startedAt - 1_000 { return .done(succeeded: true, detail: "observed: lastBackup") }
            return .notApplied("observed: no backup since the attempt")
        case ("approve_device", .devices(let pending, let paired)):
            if let deviceId, paired.contains(deviceId) { return .done(succeeded: true, detail: "observed: the device is paired") }
            if let requestId, pending.contains(requestId) { return .notApplied("observed: the request is still pending") }
            return .done(succeeded: false, detail: "observed: the runtime no longer holds the request (expired)")
        case ("approve_pairing", .pairing(let pendingCodes)):
            if let code, pendingCodes.contains(code) { return .notApplied("observed: the code is still pending") }
            return .done(succeeded: true, detail: "observed: the code left the pending list")
        case ("resolve_exec", .execApprovals(let pendingIds)):
            if let requestId, pendingIds.contains(requestId) { return .notApplied("observed: the approval is still pending") }
            return .done(succeeded: true, detail: "observed: the approval left the pending list")
        default:
            return .wait
        }
    }
}
