/// Website threads and their messages (`thread-<id>`), OpenClaw sessions (`session-<key>`), chat
/// runs through the runtime (`run-<id>`) and tool calls (`tool-<id>`).

public enum ThreadKind: String, Codable, Sendable, CaseIterable { case chat, project, openclaw }

public enum MessageRole: String, Codable, Sendable, CaseIterable { case user, assistant, system, tool }

/// Schema version 2: v1 called `kind` `type` (see ``Upcaster``).
public struct ThreadCreated: EventPayload {
    public static let type = "thread.created"
    public let threadId: String
    public let kind: ThreadKind
    public let title: String
    public var stream: String { Streams.thread(threadId) }
}

public struct ThreadRenamed: EventPayload {
    public static let type = "thread.renamed"
    public let threadId: String
    public let title: String
    public var stream: String { Streams.thread(threadId) }
}

public struct ThreadArchived: EventPayload {
    public static let type = "thread.archived"
    public let threadId: String
    public var stream: String { Streams.thread(threadId) }
}

public struct ThreadUnarchived: EventPayload {
    public static let type = "thread.unarchived"
    public let threadId: String
    public var stream: String { Streams.thread(threadId) }
}

/// A message with AI SDK UIMessage `parts` (kept as JSON).
public struct MessageAdded: EventPayload {
    public static let type = "message.added"
    public let threadId: String
    public let messageId: String
    public let role: MessageRole
    public let parts: [JSONValue]
    public var stream: String { Streams.thread(threadId) }
}

/// A message saved again with other content (a streamed reply that grew, an edit): its new parts.
/// The log keeps every version.
public struct MessageRevised: EventPayload {
    public static let type = "message.revised"
    public let threadId: String
    public let messageId: String
    /// The message's place in its thread (0 for the first added).
    public let order: Int64
    public let role: MessageRole
    public let parts: [JSONValue]
    public var stream: String { Streams.thread(threadId) }
}

/// A message no longer in the thread's saved list.
public struct MessageRemoved: EventPayload {
    public static let type = "message.removed"
    public let threadId: String
    public let messageId: String
    public let order: Int64
    public var stream: String { Streams.thread(threadId) }
}

public struct SessionObserved: EventPayload {
    public static let type = "session.observed"
    public let key: String
    public let kind: String
    public let channel: String
    public let displayName: String?
    public let updatedAt: Millis
    public let totalTokens: Int64
    public var stream: String { Streams.session(key) }
}

public struct SessionMessageSent: EventPayload {
    public static let type = "session.message_sent"
    public let key: String
    public let message: String
    public let runId: String?
    public var stream: String { Streams.session(key) }
}

/// A send that brought no reply: the runtime answered `accepted`, `timeout`, `error` or
/// `forbidden`, or its outcome is `unknown` (no answer came; ClawCloud never sends it again).
public struct SessionSendEnded: EventPayload {
    public static let type = "session.send_ended"
    public let key: String
    public let status: String
    public let runId: String?
    public let error: String?
    public var stream: String { Streams.session(key) }
}

public struct SessionReplyReceived: EventPayload {
    public static let type = "session.reply_received"
    public let key: String
    public let reply: String
    public let runId: String?
    public var stream: String { Streams.session(key) }
}

public struct TokenUsage: Codable, Sendable, Equatable {
    public let inputTokens: Int64
    public let outputTokens: Int64
    public var totalTokens: Int64 { inputTokens + outputTokens }

    public init(inputTokens: Int64, outputTokens: Int64) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }
}

public struct RunStarted: EventPayload {
    public static let type = "run.started"
    public let runId: String
    /// The session the gateway runs it in (derived as the gateway derives it).
    public let sessionKey: String
    public let model: String
    public let input: String
    /// The agent the gateway runs it with (absent in events of earlier builds).
    public var agentId: String? = nil
    public var stream: String { Streams.run(runId) }
}

public struct RunCompleted: EventPayload {
    public static let type = "run.completed"
    public let runId: String
    public let text: String
    public let usage: TokenUsage
    /// `incomplete` when the gateway stopped short (a client tool call); absent when completed.
    public var status: String? = nil
    public var stream: String { Streams.run(runId) }
}

public struct RunFailed: EventPayload {
    public static let type = "run.failed"
    public let runId: String
    public let error: String
    public var stream: String { Streams.run(runId) }
}

public struct ToolInvoked: EventPayload {
    public static let type = "tool.invoked"
    public let callId: String
    public let tool: String
    public let action: String?
    /// SHA-256 (hex) of the arguments: what was asked, without storing arguments that may hold secrets.
    public let argsDigest: String
    public let sessionKey: String?
    public var stream: String { Streams.tool(callId) }
}

public struct ToolCompleted: EventPayload {
    public static let type = "tool.completed"
    public let callId: String
    public let ok: Bool
    public let durationMs: Int64
    public let resultBytes: Int64
    public var stream: String { Streams.tool(callId) }
}

/// No answer came for a tool call that may have reached the runtime (a timeout, a lost
/// connection, a crash): it may or may not have run, and ClawCloud never sends it again.
public struct ToolOutcomeUnknown: EventPayload {
    public static let type = "tool.outcome_unknown"
    public let callId: String
    public let reason: String
    public var stream: String { Streams.tool(callId) }
}

public struct ToolFailed: EventPayload {
    public static let type = "tool.failed"
    public let callId: String
    public let error: String
    /// The HTTP status the caller was answered with (absent in events of earlier builds).
    public var status: Int64? = nil
    public var stream: String { Streams.tool(callId) }
}
