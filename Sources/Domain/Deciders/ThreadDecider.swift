/// A website thread (`thread-<id>`): kind `chat`, `project` or `openclaw`, a title, archived or
/// not, and its messages — append-only, in the order they were added.
public enum ThreadDecider: Decider {
    public struct State: Sendable, Equatable {
        public var exists = false
        public var title = ""
        public var archived = false
        /// Each message's role and parts, to tell a retry from a conflicting reuse of an id.
        public var messages: [String: MessageFingerprint] = [:]
    }

    public struct MessageFingerprint: Sendable, Equatable {
        public var role: MessageRole
        public var parts: [JSONValue]
    }

    public enum Command: Sendable {
        case create(threadId: String, kind: ThreadKind, title: String?)
        case rename(threadId: String, title: String)
        case setArchived(threadId: String, archived: Bool)
        case addMessage(threadId: String, messageId: String, role: MessageRole, parts: [JSONValue])
    }

    public static let initialState = State()
    public static let defaultTitle = "New Chat"
    public static let maxParts = 256

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .create(let threadId, let kind, let title):
            try Check.identifier(threadId, "threadId")
            let title = title ?? defaultTitle
            try Check.text(title, "title")
            guard !state.exists else { throw DomainError.conflict("thread \(threadId) already exists") }
            return [.threadCreated(ThreadCreated(threadId: threadId, kind: kind, title: title))]
        case .rename(let threadId, let title):
            try requireThread(state, threadId)
            try Check.text(title, "title")
            if state.title == title { return [] }
            return [.threadRenamed(ThreadRenamed(threadId: threadId, title: title))]
        case .setArchived(let threadId, let archived):
            try requireThread(state, threadId)
            if state.archived == archived { return [] }
            return archived ? [.threadArchived(ThreadArchived(threadId: threadId))] : [.threadUnarchived(ThreadUnarchived(threadId: threadId))]
        case .addMessage(let threadId, let messageId, let role, let parts):
            try requireThread(state, threadId)
            try Check.identifier(messageId, "id")
            guard !parts.isEmpty, parts.count <= maxParts else { throw DomainError.invalid("parts must hold 1-\(maxParts) parts") }
            for (index, part) in parts.enumerated() {
                guard case .string? = part["type"] else { throw DomainError.invalid("parts[\(index)].type must be a string") }
            }
            if let existing = state.messages[messageId] {
                if existing == MessageFingerprint(role: role, parts: parts) { return [] }
                throw DomainError.conflict("message \(messageId) already exists with other content")
            }
            return [.messageAdded(MessageAdded(threadId: threadId, messageId: messageId, role: role, parts: parts))]
        }
    }

    private static func requireThread(_ state: State, _ threadId: String) throws {
        guard state.exists else { throw DomainError.notFound("thread not found") }
    }

    public static func evolve(_ state: consuming State, _ event: DomainEvent) -> State {
        switch event {
        case .threadCreated(let e): state.exists = true; state.title = e.title
        case .threadRenamed(let e): state.title = e.title
        case .threadArchived: state.archived = true
        case .threadUnarchived: state.archived = false
        case .messageAdded(let e): state.messages[e.messageId] = MessageFingerprint(role: e.role, parts: e.parts)
        default: break
        }
        return state
    }
}
