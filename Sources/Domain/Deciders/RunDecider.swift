/// One chat run through the runtime (`run-<id>`): started, then completed with its text and token
/// usage, or failed — once.
public enum RunDecider: Decider {
    public enum Status: String, Sendable { case none, running, completed, failed }

    public struct State: Sendable, Equatable {
        public var status: Status = .none
    }

    public enum Command: Sendable {
        case start(runId: String, sessionKey: String, agentId: String? = nil, model: String, input: String)
        /// `incomplete`: the gateway stopped short (the work done is still used and charged).
        case complete(runId: String, text: String, usage: TokenUsage, incomplete: Bool = false)
        case fail(runId: String, error: String)
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .start(let runId, let sessionKey, let agentId, let model, let input):
            try Check.identifier(runId, "runId")
            try SessionDecider.checkKey(sessionKey)
            try Check.text(input, "input", max: 1_000_000)
            guard state.status == .none else { throw DomainError.conflict("run \(runId) already started") }
            return [.runStarted(RunStarted(runId: runId, sessionKey: sessionKey, model: model, input: input, agentId: agentId))]
        case .complete(let runId, let text, let usage, let incomplete):
            try requireRunning(state, runId)
            guard usage.inputTokens >= 0, usage.outputTokens >= 0 else { throw DomainError.invalid("token counts must not be negative") }
            return [.runCompleted(RunCompleted(runId: runId, text: text, usage: usage, status: incomplete ? "incomplete" : nil))]
        case .fail(let runId, let error):
            try requireRunning(state, runId)
            return [.runFailed(RunFailed(runId: runId, error: error))]
        }
    }

    private static func requireRunning(_ state: State, _ runId: String) throws {
        guard state.status != .none else { throw DomainError.notFound("no run \(runId)") }
        guard state.status == .running else { throw DomainError.conflict("run \(runId) already \(state.status.rawValue)") }
    }

    public static func evolve(_ state: consuming State, _ event: DomainEvent) -> State {
        switch event {
        case .runStarted: State(status: .running)
        case .runCompleted: State(status: .completed)
        case .runFailed: State(status: .failed)
        default: state
        }
    }
}
