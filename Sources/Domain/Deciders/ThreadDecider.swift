/// A website thread (`thread-<id>`): kind `chat`, `project` or `openclaw`, a title, archived or
/// not, and its messages in the order they were added. Appending a message is append-only (an id
/// with other content is a conflict); saving the whole list (``Command/replaceMessages(threadId:messages:)``)
/// records what changed: new messages, revised ones, removed ones.
public enum ThreadDecider: Decider {
    public struct State: Sendable, Equatable {
        public var exists = false
        public var title = ""
        public var archived = false
        /// Each message's role and parts, to tell a retry from a conflicting reuse of an id.
        public var messages: [String: MessageFingerprint] = [:]
        /// Each message's place (0 for the first added), and the ids in that order.
        public var orders: [String: Int64] = [:]
        public var ordered: [String] = []
        /// Messages ever added (the next one's place).
        public var added: Int64 = 0
    }

    /// A message of a saved list.
    public struct SavedMessage: Sendable, Equatable {
        public var id: String
        public var role: MessageRole
        public var parts: [JSONValue]

        public init(id: String, role: MessageRole, parts: [JSONValue]) {
            self.id = id
            self.role = role
            self.parts = parts
        }
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
        /// The whole list, as the website saves a thread: new ids are added, changed ones revised,
        /// missing ones removed, unchanged ones left alone. Messages kept keep their order; new
        /// ones come after them, in the list's order.
        case replaceMessages(threadId: String, messages: [SavedMessage])
    }

    public static let maxMessages = 10_000

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
        case .replaceMessages(let threadId, let messages):
            try requireThread(state, threadId)
            guard messages.count <= maxMessages else { throw DomainError.invalid("a thread holds at most \(maxMessages) messages") }
            var seen = Set<String>()
            for message in messages {
                try checkMessage(message.id, message.parts)
                guard seen.insert(message.id).inserted else { throw DomainError.invalid("message \(message.id) is listed twice") }
            }
            // Kept messages keep their order; new ones follow them.
            let kept = messages.filter { state.messages[$0.id] != nil }.map(\.id)
            guard kept == state.ordered.filter(seen.contains) else { throw DomainError.conflict("a saved list cannot move messages it keeps") }
            if let lastKept = kept.last, let index = messages.firstIndex(where: { $0.id == lastKept }),
               messages[..<index].contains(where: { state.messages[$0.id] == nil }) {
                throw DomainError.conflict("a saved list adds messages only after the ones it keeps")
            }
            var events: [DomainEvent] = state.ordered.filter { !seen.contains($0) }.map {
                .messageRemoved(MessageRemoved(threadId: threadId, messageId: $0, order: state.orders[$0] ?? 0))
            }
            for message in messages {
                if let existing = state.messages[message.id] {
                    guard existing != MessageFingerprint(role: message.role, parts: message.parts) else { continue }
                    events.append(.messageRevised(MessageRevised(threadId: threadId, messageId: message.id, order: state.orders[message.id] ?? 0,
                                                                 role: message.role, parts: message.parts)))
                } else {
                    events.append(.messageAdded(MessageAdded(threadId: threadId, messageId: message.id, role: message.role, parts: message.parts)))
                }
            }
            return events
        case .addMessage(let threadId, let messageId, let role, let parts):
            try requireThread(state, threadId)
            try checkMessage(messageId, parts)
            if let existing = state.messages[messageId] {
                if existing == MessageFingerprint(role: role, parts: parts) { return [] }
                throw DomainError.conflict("message \(messageId) already exists with other content")
            }
            return [.messageAdded(MessageAdded(threadId: threadId, messageId: messageId, role: role, parts: parts))]
        }
    }

    private static func checkMessage(_ messageId: String, _ parts: [JSONValue]) throws {
        try Check.identifier(messageId, "id")
        guard !parts.isEmpty, parts.count <= maxParts else { throw DomainError.invalid("parts must hold 1-\(maxParts) parts") }
        for (index, part) in parts.enumerated() {
            guard case .string? = part["type"] else { throw DomainError.invalid("parts[\(index)].type must be a string") }
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
        case .messageAdded(let e):
            state.messages[e.messageId] = MessageFingerprint(role: e.role, parts: e.parts)
            state.orders[e.messageId] = state.added
            state.ordered.append(e.messageId)
            state.added += 1
        case .messageRevised(let e): state.messages[e.messageId] = MessageFingerprint(role: e.role, parts: e.parts)
        case .messageRemoved(let e):
            state.messages[e.messageId] = nil
            state.orders[e.messageId] = nil
            state.ordered.removeAll { $0 == e.messageId }
        default: break
        }
        return state
    }
}
