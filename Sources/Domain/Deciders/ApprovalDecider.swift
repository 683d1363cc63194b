/// A held command waiting for a human (`approval-<id>`): requested, then granted once, denied or
/// expired; a granted one records how its command ended.
///
/// Granting here only records the decision; ``ApprovalRelease`` puts it together with the
/// released command's own events, so that both commit in one append.
public enum ApprovalDecider: Decider {
    public enum Status: String, Sendable, Codable { case none, pending, granted, denied, expired, executed }

    public struct State: Sendable, Equatable {
        public var status: Status = .none
        public var action: HeldAction?
        public var expiresAt: Millis = 0
        /// The gated call's input digest, and whether a caller repeating it was given the outcome.
        public var inputDigest: String?
        public var answered = false
    }

    public enum Command: Sendable {
        case request(approvalId: String, action: HeldAction, costEstimateMicros: Micros?, inputDigest: String? = nil)
        /// A caller repeating the gated call was given the outcome (decided, or executed).
        case recordAnswered(approvalId: String)
        case grant(approvalId: String)
        case deny(approvalId: String)
        case expire(approvalId: String)
        /// The released command's runtime call ended: answered, or (`observed`) seen on the runtime.
        case recordExecuted(approvalId: String, outcome: ApprovalExecuted.Outcome, detail: String?, observed: Bool = false)
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .request(let approvalId, let action, let cost, let inputDigest):
            try Check.identifier(approvalId, "approvalId")
            guard state.status == .none else { throw DomainError.conflict("approval \(approvalId) already exists") }
            return [.approvalRequested(ApprovalRequested(
                approvalId: approvalId, action: action, summary: action.summary, risk: action.risk, costEstimateMicros: cost,
                toolName: action.toolName, toolInput: action.toolInput, requestedBy: context.actor,
                expiresAt: context.now + Expiry.approval, inputDigest: inputDigest))]
        case .grant(let approvalId):
            try requirePending(state, approvalId, context)
            return [.approvalGranted(ApprovalGranted(approvalId: approvalId, by: context.actor))]
        case .deny(let approvalId):
            try requirePending(state, approvalId, context)
            return [.approvalDenied(ApprovalDenied(approvalId: approvalId, by: context.actor))]
        case .expire(let approvalId):
            guard state.status == .pending, context.now >= state.expiresAt else { return [] }
            return [.approvalExpired(ApprovalExpired(approvalId: approvalId))]
        case .recordAnswered(let approvalId):
            guard ![.none, .pending].contains(state.status), !state.answered else { return [] }
            return [.approvalAnswered(ApprovalAnswered(approvalId: approvalId))]
        case .recordExecuted(let approvalId, let outcome, let detail, let observed):
            guard state.status == .granted else {
                throw DomainError.conflict("approval \(approvalId) is \(state.status.rawValue), not granted")
            }
            return [.approvalExecuted(ApprovalExecuted(approvalId: approvalId, outcome: outcome, detail: detail, observed: observed ? true : nil))]
        }
    }

    private static func requirePending(_ state: State, _ approvalId: String, _ context: DecisionContext) throws {
        switch state.status {
        case .none: throw DomainError.notFound("no approval \(approvalId)")
        case .pending where context.now >= state.expiresAt: throw DomainError.conflict("approval \(approvalId) expired")
        case .pending: return
        default: throw DomainError.conflict("approval \(approvalId) was already \(state.status.rawValue)")
        }
    }

    public static func evolve(_ state: consuming State, _ event: DomainEvent) -> State {
        switch event {
        case .approvalRequested(let e): state = State(status: .pending, action: e.action, expiresAt: e.expiresAt, inputDigest: e.inputDigest)
        case .approvalAnswered: state.answered = true
        case .approvalGranted: state.status = .granted
        case .approvalDenied: state.status = .denied
        case .approvalExpired: state.status = .expired
        case .approvalExecuted: state.status = .executed
        default: break
        }
        return state
    }
}
