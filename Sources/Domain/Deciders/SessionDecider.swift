/// An OpenClaw session as the runtime reports it (`session-<key>`), and the messages sent to it
/// through ClawCloud with how each send ended.
public enum SessionDecider: Decider {
    public struct State: Sendable, Equatable {
        /// The last observation recorded.
        public var observed: SessionObserved?
    }

    public enum Command: Sendable {
        /// What the runtime reports of the session; recorded only when it changed.
        case observe(ObservedSession)
        case sendMessage(key: String, message: String, runId: String?)
        case recordReply(key: String, reply: String, runId: String?)
        /// A send that brought no reply (see ``SendOutcome``).
        case recordSendEnded(key: String, status: SendOutcome, runId: String?, error: String?)
    }

    /// How a send without a reply ended: as the runtime answered it, or `unknown` when no answer came.
    public enum SendOutcome: String, Sendable, CaseIterable { case accepted, timeout, error, forbidden, unknown }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .observe(let session):
            try checkKey(session.key)
            guard session.totalTokens >= 0 else { throw DomainError.invalid("totalTokens must not be negative") }
            let observed = SessionObserved(key: session.key, kind: session.kind, channel: session.channel, displayName: session.displayName,
                                           updatedAt: session.updatedAt, totalTokens: session.totalTokens)
            // Nothing changed, or an older observation than what is known: nothing to record.
            if let last = state.observed, last == observed || session.updatedAt < last.updatedAt { return [] }
            return [.sessionObserved(observed)]
        case .sendMessage(let key, let message, let runId):
            try checkKey(key)
            try Check.text(message, "message", max: 100_000)
            return [.sessionMessageSent(SessionMessageSent(key: key, message: message, runId: runId))]
        case .recordReply(let key, let reply, let runId):
            try checkKey(key)
            return [.sessionReplyReceived(SessionReplyReceived(key: key, reply: reply, runId: runId))]
        case .recordSendEnded(let key, let status, let runId, let error):
            try checkKey(key)
            return [.sessionSendEnded(SessionSendEnded(key: key, status: status.rawValue, runId: runId, error: error))]
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
        return State(observed: e)
    }
}
