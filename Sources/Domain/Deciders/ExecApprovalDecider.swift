/// An exec approval the runtime asks for (`exec-approval-<id>`), resolved as the OpenClaw gateway
/// does: exactly `allow-once`, `allow-always` or `deny`; the same decision again is a no-op,
/// another one an error; unknown or expired ids are refused. A decision is delivered to the
/// runtime once, through the outbox (``Command/recordDelivered(id:outcome:detail:observed:)``).
public enum ExecApprovalDecider: Decider {
    public struct State: Sendable, Equatable {
        public var requested = false
        public var allowed: [ExecDecision] = []
        public var expiresAt: Millis = 0
        public var decision: ExecDecision?
        public var expired = false
        public var delivered = false
    }

    public enum Command: Sendable {
        case request(id: String, command: String, cwd: String?, host: String?, sessionKey: String?, agentId: String?,
                     allowedDecisions: [ExecDecision]?, timeoutMs: Millis?)
        /// `decision` is the raw string the caller sent.
        case resolve(id: String, decision: String)
        case expire(id: String)
        /// What the runtime's pending list shows (its expiry is the runtime's).
        case observe(ObservedExecApproval)
        /// How the delivery of the decision to the runtime ended.
        case recordDelivered(id: String, outcome: ApprovalExecuted.Outcome, detail: String?, observed: Bool)
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .request(let id, let commandText, let cwd, let host, let sessionKey, let agentId, let allowed, let timeoutMs):
            try Check.identifier(id, "id")
            guard !id.hasPrefix("plugin:") else { throw DomainError.invalid("the plugin: prefix is reserved") }
            try Check.text(commandText, "command", max: 8_192)
            let timeout = timeoutMs ?? Expiry.execApproval
            guard timeout >= 1 else { throw DomainError.invalid("timeoutMs must be at least 1") }
            let decisions = allowed ?? ExecDecision.allCases
            guard !decisions.isEmpty else { throw DomainError.invalid("allowedDecisions must not be empty") }
            if state.requested { return [] }
            return [.execApprovalRequested(ExecApprovalRequested(
                id: id, command: commandText, cwd: cwd, host: host, sessionKey: sessionKey, agentId: agentId,
                allowedDecisions: decisions, expiresAt: context.now + timeout))]
        case .resolve(let id, let raw):
            guard let decision = ExecDecision(rawValue: raw) else { throw DomainError.invalid("invalid decision") }
            guard state.requested, !state.expired, state.decision != nil || context.now < state.expiresAt else {
                throw DomainError.notFound("unknown or expired approval id")
            }
            if let resolved = state.decision {
                if resolved == decision { return [] }
                throw DomainError.conflict("approval already resolved")
            }
            guard state.allowed.contains(decision) else {
                throw DomainError.invalid("\(raw) is unavailable because the effective policy requires approval every time")
            }
            return [.execApprovalResolved(ExecApprovalResolved(id: id, decision: decision, by: context.actor))]
        case .expire(let id):
            guard state.requested, state.decision == nil, !state.expired, context.now >= state.expiresAt else { return [] }
            return [.execApprovalExpired(ExecApprovalExpired(id: id))]
        case .observe(let observed):
            let timeout = observed.expiresAt.map { max(1, $0 - context.now) }
            return try decide(.request(id: observed.id, command: observed.command, cwd: observed.cwd, host: observed.host, sessionKey: observed.sessionKey,
                                       agentId: observed.agentId, allowedDecisions: observed.allowedDecisions, timeoutMs: timeout), state, context)
        case .recordDelivered(let id, let outcome, let detail, let observed):
            guard let decision = state.decision, !state.delivered else { return [] }
            return [.execApprovalDelivered(ExecApprovalDelivered(id: id, decision: decision, outcome: outcome, detail: detail, observed: observed ? true : nil))]
        }
    }

    public static func evolve(_ state: consuming State, _ event: DomainEvent) -> State {
        switch event {
        case .execApprovalRequested(let e): state = State(requested: true, allowed: e.allowedDecisions, expiresAt: e.expiresAt)
        case .execApprovalResolved(let e): state.decision = e.decision
        case .execApprovalExpired: state.expired = true
        case .execApprovalDelivered: state.delivered = true
        default: break
        }
        return state
    }
}
