import Domain

/// Per thread: id, title, kind, archived, created/updated times, message count and a preview of
/// the last message. Scope `active`/`archived`, sorted by `updatedAt`.
public struct ThreadsIndex: Projection {
    public let name = "threads_index"
    public let version = 1
    public let collections = ["threads"]
    public init() {}

    static let previewLength = 120

    public func apply(_ event: DomainEvent, _ context: EventContext, _ rows: ProjectionRows) throws {
        let at = context.recordedAt
        switch event {
        case .threadCreated(let e):
            rows.put("threads", e.threadId, [
                "id": .string(e.threadId), "title": .string(e.title), "kind": .string(e.kind.rawValue), "archived": false,
                "createdAt": .integer(at), "updatedAt": .integer(at), "messageCount": 0, "lastMessagePreview": .null,
            ], scope: "active", sort: at)
        case .threadRenamed(let e):
            try rows.updateExisting("threads", e.threadId, sort: at) { $0["title"] = .string(e.title); $0["updatedAt"] = .integer(at) }
        case .threadArchived(let e):
            try rows.updateExisting("threads", e.threadId, scope: "archived", sort: at) { $0["archived"] = true; $0["updatedAt"] = .integer(at) }
        case .threadUnarchived(let e):
            try rows.updateExisting("threads", e.threadId, scope: "active", sort: at) { $0["archived"] = false; $0["updatedAt"] = .integer(at) }
        case .messageAdded(let e):
            try rows.updateExisting("threads", e.threadId, sort: at) { row in
                row["messageCount"] = .integer(row.int("messageCount") + 1)
                row["updatedAt"] = .integer(at)
                row["lastMessagePreview"] = json(Self.preview(e.parts))
            }
        case .messageRevised(let e):
            // A revised message is most often the last one, growing as it streams.
            try rows.updateExisting("threads", e.threadId, sort: at) { row in
                row["updatedAt"] = .integer(at)
                row["lastMessagePreview"] = json(Self.preview(e.parts))
            }
        case .messageRemoved(let e):
            try rows.updateExisting("threads", e.threadId, sort: at) { row in
                row["messageCount"] = .integer(max(0, row.int("messageCount") - 1))
                row["updatedAt"] = .integer(at)
            }
        default: break
        }
    }

    /// The text of the first text part, cut to ``previewLength`` characters.
    static func preview(_ parts: [JSONValue]) -> String? {
        for part in parts where part["type"] == "text" {
            // A text of at most `previewLength` bytes has at most as many characters: no need to count them.
            if let text = part["text"]?.stringValue { return text.utf8.count <= previewLength ? text : String(text.prefix(previewLength)) }
        }
        return nil
    }
}

/// The messages of every thread in order: key `<threadId>/<order>`, scope the thread id, sorted by order.
/// A revised message is updated in place (`revision`, `revisedAt`); a removed one stays as a row
/// marked `removed` (so orders never repeat), and readers leave it out.
///
/// Version 2: a message's order is one past the thread's highest (``ProjectionRows/top(_:scope:)``)
/// instead of a per-thread counter row — one row fewer to write per message, and no `counters`
/// changes on the stream. The orders are the same.
public struct ThreadMessages: Projection {
    public let name = "thread_messages"
    public let version = 2
    public let collections = ["messages"]
    public init() {}

    public func apply(_ event: DomainEvent, _ context: EventContext, _ rows: ProjectionRows) throws {
        switch event {
        case .messageRevised(let e):
            try rows.updateExisting("messages", "\(e.threadId)/\(paddedKey(e.order))") { row in
                row["role"] = .string(e.role.rawValue); row["parts"] = .array(e.parts)
                row["revision"] = .integer(row.int("revision") + 1); row["revisedAt"] = .integer(context.recordedAt)
            }
            return
        case .messageRemoved(let e):
            try rows.updateExisting("messages", "\(e.threadId)/\(paddedKey(e.order))") { $0["removed"] = true }
            return
        default: break
        }
        guard case .messageAdded(let e) = event else { return }
        let order = try rows.top("messages", scope: e.threadId).map { $0 + 1 } ?? 0
        rows.put("messages", "\(e.threadId)/\(paddedKey(order))", [
            "threadId": .string(e.threadId), "id": .string(e.messageId), "role": .string(e.role.rawValue),
            "parts": .array(e.parts), "order": .integer(order), "createdAt": .integer(context.recordedAt),
        ], scope: e.threadId, sort: order)
    }
}
