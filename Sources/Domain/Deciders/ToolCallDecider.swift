/// One tool invocation on the runtime (`tool-<id>`): invoked, then completed, failed, or of
/// unknown outcome — once. A call is sent to the runtime at most once: one whose answer was lost
/// is recorded as of unknown outcome, never sent again.
public enum ToolCallDecider: Decider {
    public enum Status: String, Sendable { case none, invoked, completed, failed, unknown }

    public struct State: Sendable, Equatable {
        public var status: Status = .none
        /// How the call failed, once it has.
        public var failure: ToolFailed?
    }

    public enum Command: Sendable {
        case invoke(callId: String, tool: String, action: String?, argsDigest: String, sessionKey: String?)
        case complete(callId: String, ok: Bool, durationMs: Int64, resultBytes: Int64)
        case fail(callId: String, error: String, status: Int64? = nil)
        /// No answer came for a call that may have reached the runtime.
        case recordUnknown(callId: String, reason: String)
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .invoke(let callId, let tool, let action, let argsDigest, let sessionKey):
            try Check.identifier(callId, "callId")
            guard (1...64).contains(tool.utf8.count),
                  tool.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x5F || $0 == 0x2D })
            else { throw DomainError.invalid("tool must match ^[a-zA-Z0-9_-]+$") }
            guard argsDigest.count == 64, argsDigest.allSatisfy(\.isHexDigit) else { throw DomainError.invalid("argsDigest must be a SHA-256 hex digest") }
            if let sessionKey { try SessionDecider.checkKey(sessionKey) }
            guard state.status == .none else { throw DomainError.conflict("tool call \(callId) already exists") }
            return [.toolInvoked(ToolInvoked(callId: callId, tool: tool, action: action, argsDigest: argsDigest, sessionKey: sessionKey))]
        case .complete(let callId, let ok, let durationMs, let resultBytes):
            try requireInvoked(state, callId)
            return [.toolCompleted(ToolCompleted(callId: callId, ok: ok, durationMs: max(0, durationMs), resultBytes: max(0, resultBytes)))]
        case .fail(let callId, let error, let status):
            try requireInvoked(state, callId)
            if let status, !(400...599).contains(status) { throw DomainError.invalid("status must be an HTTP error status (400-599)") }
            return [.toolFailed(ToolFailed(callId: callId, error: error, status: status))]
        case .recordUnknown(let callId, let reason):
            try requireInvoked(state, callId)
            return [.toolOutcomeUnknown(ToolOutcomeUnknown(callId: callId, reason: reason))]
        }
    }

    private static func requireInvoked(_ state: State, _ callId: String) throws {
        guard state.status != .none else { throw DomainError.notFound("no tool call \(callId)") }
        guard state.status == .invoked else { throw DomainError.conflict("tool call \(callId) already \(state.status.rawValue)") }
    }

    public static func evolve(_ state: consuming State, _ event: DomainEvent) -> State {
        switch event {
        case .toolInvoked: State(status: .invoked)
        case .toolCompleted: State(status: .completed)
        case .toolFailed(let failed): State(status: .failed, failure: failed)
        case .toolOutcomeUnknown: State(status: .unknown)
        default: state
        }
    }
}
