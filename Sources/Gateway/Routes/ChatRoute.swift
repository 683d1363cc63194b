import AsyncHTTPClient
import Domain
import EventStore
import Foundation
import Hummingbird
import NIOCore
import Projections

/// `POST /api/openclaw/chat`: the runtime's answer relayed to the caller while the run is
/// recorded — `run.started`, then `run.completed` (text, usage; `incomplete` when the gateway
/// stopped short) or `run.failed` — and its tokens charged at `microsPerToken` (a charge the
/// balance or the spend limit refuses is held behind an approval instead).
///
/// The runtime labels every answer `text/event-stream`; ClawCloud tells them apart by content
/// (``OpenResponsesReader``): an event stream is relayed as it comes; one JSON response (a chat
/// without `stream:true`) is relayed as `application/json`; a gateway error becomes an error
/// answer. The run's session is the one the gateway uses: `agent:<agent>:openresponses-user:<user>`,
/// the agent from a model named `clawdbot:<id>` or `agent:<id>` (else `main`); a request without
/// `user` is sent with the run's id as its user, so that its session is known. A request without
/// `model` is sent with `openclaw`, and input items with a role but no type are sent as
/// `type: "message"` (the gateway requires both).
///
/// The recording runs as background work: a caller who disconnects stops receiving, but the run
/// is read to its end and recorded, and a graceful shutdown waits for it.
extension API {
    func addChatRoute() {
        let services = services
        route(.post, "openclaw/chat", "Chat with the agent: OpenResponses request in; SSE out (stream:true) or one JSON response (recorded as a run, charged from usage). "
              + "A retry with the same Idempotency-Key is answered from the recorded run (Idempotent-Replayed: true), 409 while it still runs.",
              write: true, produces: "chat", accepts: RequestShape(body: Self.openResponsesRequest)) { request, context in
            let tenant = try context.requireTenant()
            let body = try await request.collectBody(limit: services.configuration.chatBodyLimit)
            guard body.readableBytes > 0 else { throw APIError.badRequest("missing request body") }
            guard let parsed = body.withUnsafeReadableBytes({ try? JSONParser.parse(Data($0)) }), case .object(var json) = parsed else {
                throw APIError.badRequest("the request body must be an OpenResponses JSON object")
            }
            if let user = json["user"], user != .null, user.stringValue?.isEmpty != false { throw APIError.badRequest("user must be a non-empty string") }
            for name in ["model", "instructions"] where json[name].map({ $0 != .null && $0.stringValue == nil }) == true {
                throw APIError.badRequest("\(name) must be a string")
            }
            if let stream = json["stream"], stream != .null, stream != true, stream != false { throw APIError.badRequest("stream must be a boolean") }
            let forwarded = ["x-openclaw-session-key", "x-openclaw-agent-id", "x-openclaw-message-channel", "x-openclaw-account-id"]
                .compactMap { name in request.headers[.init(name)!].map { (name, $0) } }
            let proposed = "run_\(UUID.random().storedSpelling)"
            let model = json["model"]?.stringValue ?? "openclaw"
            json["model"] = .string(model)
            let user = json["user"]?.stringValue ?? proposed
            json["user"] = .string(user)
            // The gateway takes only typed items: an item with a role and no type is a message.
            if case .array(let items)? = json["input"] {
                json["input"] = .array(items.map { item in
                    guard case .object(var members) = item, members["type"] == nil, members["role"] != nil else { return item }
                    members["type"] = "message"
                    return .object(members)
                })
            }
            let agentId = SessionKeys.agent(model: model)
            let sessionKey = SessionKeys.openResponses(agent: agentId, user: user)
            let sent = ByteBuffer(bytes: JSONWriter.data(.object(json)))
            let (runId, start) = try await services.stores.withTenant(tenant) { store -> (String, ChatStart) in
                try await services.requireInstance(store)
                let runtime = try await services.runtimeClient(for: store, tenant: tenant)
                let command = RunDecider.Command.start(runId: proposed, sessionKey: sessionKey, agentId: agentId, model: model,
                                                       input: String(Services.inputText(json["input"]).prefix(10_000)))
                // A retry (same Idempotency-Key) finds the first request's run and answers from its record.
                let outcome = try await services.command(RunDecider.self, command, on: Streams.run(proposed), in: store, request, context)
                guard case .runStarted(let started)? = outcome.events.first else { throw APIError(.internalServerError, "run not recorded") }
                if outcome.replayed { return (started.runId, .recorded(try await RecordedRun.read(started, in: store).replay())) }
                do {
                    return (started.runId, .live(try await runtime.stream("/v1/responses", body: sent, headers: forwarded)))
                } catch let error as RuntimeError {
                    try? await services.recordRun(started.runId, .failed(error.message), store: store, tenant: tenant, requestID: context.requestID)
                    throw error
                }
            }
            var headers: HTTPFields = [.cacheControl: "no-cache"]
            headers[.init("X-Run-Id")!] = runId
            let upstream: HTTPClientResponse
            switch start {
            case .live(let response): upstream = response
            case .recorded(let replay):
                headers[.contentType] = "text/event-stream; charset=utf-8"
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: replay))
            }
            let (relay, relayInput) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .unbounded)
            let requestID = context.requestID
            let logger = context.logger
            let answer = try await withCheckedThrowingContinuation { (kind: CheckedContinuation<ChatAnswer, any Error>) in
                _ = services.background.start {
                    do {
                        try await services.record(runId, upstream: upstream, relay: relayInput, answer: kind, tenant: tenant, requestID: requestID)
                    } catch {
                        logger.error("chat run not recorded", metadata: ["run": "\(runId)", "error": "\(String(reflecting: type(of: error)))"])
                    }
                }
            }
            switch answer {
            case .stream:
                headers[.contentType] = "text/event-stream; charset=utf-8"
                return Response(status: .ok, headers: headers, body: ResponseBody(asyncSequence: relay))
            case .document(let bytes):
                headers[.contentType] = "application/json"
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: bytes))
            case .failed(var error):
                error.headers[.init("X-Run-Id")!] = runId
                throw error
            }
        }
    }
}

/// How a chat request is answered: the runtime's answer, or a retry's replay of the recorded run.
private enum ChatStart {
    case live(HTTPClientResponse)
    case recorded(ByteBuffer)
}

/// What the runtime's answer turned out to be: a stream (relayed as it comes), one JSON
/// response (relayed whole, once recorded), or an error (the run recorded as failed).
private enum ChatAnswer: Sendable {
    case stream
    case document(ByteBuffer)
    case failed(APIError)
}

/// The session keys the gateway derives, so that a run records the session it really runs in.
enum SessionKeys {
    /// The agent of a model named `clawdbot:<id>`, `clawdbot/<id>` or `agent:<id>` (`[a-z0-9][a-z0-9_-]{0,63}`, lowercased), else `main`.
    static func agent(model: String) -> String {
        for prefix in ["clawdbot:", "clawdbot/", "agent:"] where model.lowercased().hasPrefix(prefix) {
            let id = model.dropFirst(prefix.count).lowercased()
            if let first = id.utf8.first, (0x61...0x7A).contains(first) || (0x30...0x39).contains(first), id.utf8.count <= 64,
               id.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }) {
                return String(id)
            }
        }
        return "main"
    }

    /// `agent:<agent>:openresponses-user:<user, trimmed and lowercased>`.
    static func openResponses(agent: String, user: String) -> String {
        "agent:\(agent):openresponses-user:\(user.trimmingCharacters(in: .whitespaces).lowercased())"
    }
}

extension Services {
    /// Reads the runtime's answer to its end: tells its kind from its first bytes (answering the
    /// route through `answer`), relays a stream chunk by chunk, and records how the run ended.
    fileprivate func record(_ runId: String, upstream: HTTPClientResponse, relay: AsyncStream<ByteBuffer>.Continuation,
                            answer: CheckedContinuation<ChatAnswer, any Error>, tenant: TenantID, requestID: String) async throws {
        var answered = false
        defer {
            relay.finish()
            if !answered { answer.resume(returning: .failed(APIError(.badGateway, "the runtime's answer broke off"))) }
        }
        try await self.stores.withTenant(tenant) { store in
            var reader = OpenResponsesReader()
            var head = ByteBuffer()
            var kind: OpenResponsesReader.Kind?
            var result: OpenResponsesReader.Result
            do {
                for try await chunk in upstream.body {
                    if let kind {
                        if kind == .stream { relay.yield(chunk); reader.feed(chunk) } else { head.writeImmutableBuffer(chunk) }
                        continue
                    }
                    head.writeImmutableBuffer(chunk)
                    kind = OpenResponsesReader.kind(of: head)
                    if kind == .stream {
                        answered = true
                        answer.resume(returning: .stream)
                        relay.yield(head)
                        reader.feed(head)
                    }
                    guard head.readableBytes <= self.configuration.chatBodyLimit else { break }
                }
                switch kind {
                case .stream: result = reader.result
                case .document:
                    result = head.withUnsafeReadableBytes { try? JSONParser.parse(Data($0)) }.map(OpenResponsesReader.document)
                        ?? .failed("the runtime answered JSON that does not parse")
                case nil: result = .failed("the runtime answered nothing")
                }
            } catch {
                result = .failed("the runtime stream broke off")
            }
            try await recordRun(runId, result, store: store, tenant: tenant, requestID: requestID)
            guard !answered else { return }
            answered = true
            switch result {
            case .completed: answer.resume(returning: .document(head))
            case .failed(let message):
                let refused = head.withUnsafeReadableBytes { try? JSONParser.parse(Data($0)) }?["error"]?["type"] == "invalid_request_error"
                answer.resume(returning: .failed(APIError(refused ? .badRequest : .badGateway, message)))
            }
        }
    }

    /// Records how a run ended, and charges its tokens.
    func recordRun(_ runId: String, _ result: OpenResponsesReader.Result, store: EventStore, tenant: TenantID, requestID: String) async throws {
        let bus = self.bus(store, tenant: tenant, actor: "runtime", requestID: requestID)
        let stream = Streams.run(runId)
        switch result {
        case .failed(let message):
            _ = try await bus.run(RunDecider.self, .fail(runId: runId, error: message), on: stream)
        case .completed(let text, let usage, let incomplete):
            _ = try await bus.run(RunDecider.self, .complete(runId: runId, text: text, usage: usage, incomplete: incomplete), on: stream)
            let amount = usage.totalTokens * self.configuration.microsPerToken
            guard amount > 0 else { return }
            let charge = HeldAction.charge(chargeId: "chg_\(runId)", amountMicros: amount, reason: .tokens, ref: "run:\(runId)")
            _ = try await bus.run(reading: [.stream(Streams.credits, as: CreditsDecider.self)]) { states, decision in
                let credits = states[Streams.credits, as: CreditsDecider.self]
                do {
                    return try CreditsDecider.decide(.charge(chargeId: "chg_\(runId)", amountMicros: amount, reason: .tokens, ref: "run:\(runId)", approvalId: nil),
                                                     credits, decision)
                } catch DomainError.approvalRequired {
                    return try ApprovalRelease.hold(charge, approvalId: "apr_\(runId)", target: .credits(credits), costEstimateMicros: amount, decision)
                }
            }
        }
    }

    /// The text of the request's last user message (`input` as a string or as items).
    static func inputText(_ input: JSONValue?) -> String {
        if let text = input?.stringValue { return text }
        guard case .array(let items)? = input else { return "" }
        for item in items.reversed() where item["role"] == "user" {
            if let text = item["content"]?.stringValue { return text }
            if case .array(let parts)? = item["content"] {
                return parts.compactMap { $0["text"]?.stringValue }.joined(separator: " ")
            }
        }
        return ""
    }
}

extension API {
    /// An OpenResponses request as the route takes it, passed to the runtime unchanged: `input`
    /// as text, or as items whose last user message has text (recorded with the run); `user`
    /// names the session (`agent:main:openresponses-user:<user>`, a session key). Only what the
    /// route reads is checked; the rest is the runtime's.
    fileprivate static let openResponsesRequest: JSONValue = {
        // Not blank; any length (what is recorded of it is cut at 10,000 characters).
        let text: JSONValue = ["type": "string", "pattern": #"[^\s]"#]
        return Schema.object([
            "model": Schema.string, "instructions": Schema.string, "stream": Schema.boolean,
            "user": ["type": "string", "pattern": #"^[\x21-\x2E\x30-\x7E]{1,226}$"#],
            "input": ["anyOf": [text, [
                "type": "array", "minItems": 1,
                "items": Schema.object(["role": Schema.string, "content": ["anyOf": [text, [
                    "type": "array", "minItems": 1, "items": Schema.object(["text": text], required: ["text"]),
                ]]]], required: ["role", "content"]),
                "contains": Schema.object(["role": ["const": "user"]], required: ["role"]),
            ]]],
        ], required: ["input"])
    }()
}
