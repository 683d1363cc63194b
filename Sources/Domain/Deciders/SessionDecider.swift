/// An OpenClaw session as the runtime reports it (`session-<key>`), and the messages sent to it
/// through ClawCloud with the replies that came back.
public enum SessionDecider: Decider {
    public struct State: Sendable, Equatable {
        public var observed = false
        public var updatedAt: Millis = 0
    }

    public enum Command: Sendable {
        case observe(key: String, kind: String, channel: String, displayName: String?, updatedAt: Millis, totalTokens: Int64)
        case sendMessage(key: String, message: String, runId: String?)
        case recordReply(key: String, reply: String, runId: String?)
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .observe(let key, let kind, let channel, let displayName, let updatedAt, let totalTokens):
            try checkKey(key)
            guard totalTokens >= 0 else { throw DomainError.invalid("totalTokens must not be negative") }
            // Observations arrive out of order: an older one than what is known changes nothing.
            if state.observed, updatedAt < state.updatedAt { return [] }
            return [.sessionObserved(SessionObserved(
                key: key, kind: kind, channel: channel, displayName: displayName, updatedAt: updatedAt, totalTokens: totalTokens))]
        case .sendMessage(let key, let message, let runId):
            try checkKey(key)
            try Check.text(message, "message", max: 100_000)
            return [.sessionMessageSent(SessionMessageSent(key: key, message: message, runId: runId))]
        case .recordReply(let key, let reply, let runId):
            try checkKey(key)
            return [.sessionReplyReceived(SessionReplyReceived(key: key, reply: reply, runId: runId))]
        }
    }

    /// Session keys like `agent:main:main` or `agent:main:telegram:direct:123`.
    public static func checkKey(_ key: String) throws {
        guard (1...256).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) else {
            throw DomainError.invalid("session key must be 1-256 printable ASCII characters without spaces or slashes")
        }
    }

    public static func evolve(_ state: consuming State, _ event: DomainEvent) -> State {
        guard case .sessionObserved(let e) = event else { return state }
        return State(observed: true, updatedAt: e.updatedAt)
    }
}
