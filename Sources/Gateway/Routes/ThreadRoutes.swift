import Domain
import EventStore
import Foundation
import Hummingbird
import Projections

/// `/api/threads…`: the website's chat, project and OpenClaw threads and their messages.
extension API {
    func addThreadRoutes() {
        let services = services
        route(.get, "threads", "List threads, most recently updated first (?archived=true|false, ?limit=1-100).",
              accepts: RequestShape(query: ["archived": Schema.booleanText, "limit": Schema.integer(1...100)])) { request, context in
            let archived = try request.queryChoice("archived", ["true", "false"]) == "true"
            let limit = try request.queryInt("limit", in: 1...100) ?? 50
            let rows = try await services.stores.withTenant(context.requireTenant()) { store in
                try await store.read { db in
                    try store.projector.rows(db, "threads_index", "threads", RowQuery(scope: archived ? "archived" : "active", limit: limit))
                }
            }
            return Envelope.ok(.array(rows.map(\.json)))
        }

        route(.post, "threads", "Create a thread {title?, kind?: chat|project|openclaw}.", write: true,
              accepts: RequestShape(body: Schema.object(["title": Schema.text(), "kind": Schema.choice(ThreadKind.allCases.map(\.rawValue))]))) { request, context in
            let body = try await request.json(NewThread.self, limit: services.configuration.bodyLimit)
            let threadID = UUID.random().storedSpelling
            return try await services.stores.withTenant(context.requireTenant()) { store in
                let outcome = try await services.command(ThreadDecider.self, .create(threadId: threadID, kind: body.kind ?? .chat, title: body.title),
                                                         on: Streams.thread(threadID), in: store, request, context)
                guard case .threadCreated(let created)? = outcome.events.first else { throw APIError(.internalServerError, "thread not created") }
                return Envelope.ok(try await services.thread(created.threadId, in: store), status: .created, position: outcome.position)
            }
        }

        route(.get, "threads/:id", "One thread.") { _, context in
            let id = try context.pathParameter("id")
            return try await services.stores.withTenant(context.requireTenant()) { store in
                Envelope.ok(try await services.thread(id, in: store))
            }
        }

        route(.patch, "threads/:id", "Rename or (un)archive a thread {title?, archived?}.", write: true,
              accepts: RequestShape(body: Schema.object(["title": Schema.text(), "archived": Schema.boolean]))) { request, context in
            let id = try context.pathParameter("id")
            let body = try await request.json(ThreadPatch.self, limit: services.configuration.bodyLimit)
            return try await services.stores.withTenant(context.requireTenant()) { store in
                let stream = Streams.thread(id)
                let outcome = try await services.command(on: store, request, context, reading: [.stream(stream, as: ThreadDecider.self)]) { states, decision in
                    var state = states[stream, as: ThreadDecider.self]
                    guard state.exists else { throw APIError.notFound("thread not found") }
                    var events: [DomainEvent] = []
                    if let title = body.title { events += try ThreadDecider.decide(.rename(threadId: id, title: title), state, decision) }
                    state = ThreadDecider.fold(events, from: state)
                    if let archived = body.archived {
                        events += try ThreadDecider.decide(.setArchived(threadId: id, archived: archived), state, decision)
                    }
                    return events
                }
                return Envelope.ok(try await services.thread(id, in: store), position: outcome.position)
            }
        }

        route(.get, "threads/:id/messages", "A thread's messages, in order, a page at a time (?after=<order of the last one read>, ?limit=1-1000).",
              accepts: RequestShape(query: ["after": Schema.integer(0...Int64.max), "limit": Schema.integer(1...1_000)])) { request, context in
            let id = try context.pathParameter("id")
            let after = try request.queryInt("after", in: 0...Int.max)
            let limit = try request.queryInt("limit", in: 1...1_000) ?? 1_000
            return try await services.stores.withTenant(context.requireTenant()) { store in
                let rows = try await store.read { db -> [Row]? in
                    guard try store.projector.row(db, "threads_index", "threads", key: id) != nil else { return nil }
                    return try store.projector.rows(db, "thread_messages", "messages", RowQuery(scope: id, order: .ascending, limit: limit, after: after.map(Int64.init)))
                }
                guard let rows else { throw APIError.notFound("thread not found") }
                return Envelope.ok(.array(rows.filter { $0["removed"] != true }.map(\.json)))
            }
        }

        let message = Self.messageSchema
        route(.post, "threads/:id/messages", "Append a message {id, role: user|assistant|system|tool, parts: [{type, …}]}.", write: true,
              accepts: RequestShape(body: message)) { request, context in
            let id = try context.pathParameter("id")
            let body = try await request.json(NewMessage.self, limit: services.configuration.bodyLimit)
            return try await services.stores.withTenant(context.requireTenant()) { store in
                let stream = Streams.thread(id)
                let outcome = try await services.command(on: store, request, context, reading: [.stream(stream, as: ThreadDecider.self)]) { states, decision in
                    let state = states[stream, as: ThreadDecider.self]
                    guard state.exists else { throw APIError.notFound("thread not found") }
                    return try ThreadDecider.decide(.addMessage(threadId: id, messageId: body.id, role: body.role, parts: body.parts), state, decision)
                }
                let message: JSONValue = ["threadId": .string(id), "id": .string(body.id), "role": .string(body.role.rawValue), "parts": .array(body.parts)]
                return Envelope.ok(message, status: .created, position: outcome.position)
            }
        }
    }
}

extension API {
    /// A message as the thread routes take it: `{id, role, parts: [{type, …}]}`.
    static let messageSchema: JSONValue = Schema.object(
        ["id": Schema.identifier, "role": Schema.choice(MessageRole.allCases.map(\.rawValue)),
         "parts": ["type": "array", "items": Schema.object(["type": Schema.string], required: ["type"]), "minItems": 1,
                   "maxItems": .integer(Int64(ThreadDecider.maxParts))]],
        required: ["id", "role", "parts"])

    /// `PUT /api/threads/:id/messages`: the website's save, the whole list at once.
    func addThreadSaveRoute() {
        let services = services
        let list = Schema.object(["messages": ["type": "array", "items": Self.messageSchema, "maxItems": .integer(Int64(ThreadDecider.maxMessages))]], required: ["messages"])
        route(.put, "threads/:id/messages", "Save a thread's whole message list {messages: [{id, role, parts}]}, as the website does: new ids are added, "
              + "changed ones revised, missing ones removed (the log keeps every version). Kept messages keep their order; new ones follow them.", write: true,
              accepts: RequestShape(body: list)) { request, context in
            let id = try context.pathParameter("id")
            let body = try await request.json(SavedList.self, limit: services.configuration.chatBodyLimit)
            let messages = body.messages.map { ThreadDecider.SavedMessage(id: $0.id, role: $0.role, parts: $0.parts) }
            return try await services.stores.withTenant(context.requireTenant()) { store in
                let stream = Streams.thread(id)
                let outcome = try await services.command(on: store, request, context, reading: [.stream(stream, as: ThreadDecider.self)]) { states, decision in
                    let state = states[stream, as: ThreadDecider.self]
                    guard state.exists else { throw APIError.notFound("thread not found") }
                    return try ThreadDecider.decide(.replaceMessages(threadId: id, messages: messages), state, decision)
                }
                let counts = outcome.events.reduce(into: ["added": Int64(0), "revised": 0, "removed": 0]) { counts, event in
                    switch event {
                    case .messageAdded: counts["added", default: 0] += 1
                    case .messageRevised: counts["revised", default: 0] += 1
                    case .messageRemoved: counts["removed", default: 0] += 1
                    default: break
                    }
                }
                return Envelope.ok(.object(counts.mapValues(JSONValue.integer)), position: outcome.position)
            }
        }
    }
}

extension Services {
    fileprivate func thread(_ id: String, in store: EventStore) async throws -> JSONValue {
        let row = try await store.read { db in try store.projector.row(db, "threads_index", "threads", key: id) }
        guard let row else { throw APIError.notFound("thread not found") }
        return row.json
    }
}

private struct NewThread: Decodable {
    var title: String?
    var kind: ThreadKind?
}

private struct ThreadPatch: Decodable {
    var title: String?
    var archived: Bool?
}

private struct NewMessage: Decodable {
    var id: String
    var role: MessageRole
    var parts: [JSONValue]
}

private struct SavedList: Decodable {
    var messages: [NewMessage]
}
