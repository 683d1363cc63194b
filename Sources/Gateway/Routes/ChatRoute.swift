import Domain
import EventStore
import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import Projections

/// `POST /api/openclaw/chat`: the runtime's OpenResponses SSE, relayed to the caller unchanged,
/// while the run is recorded — `run.started`, then `run.completed` (text, usage) or
/// `run.failed` — and its tokens charged at `microsPerToken` (a charge the balance or the spend
/// limit refuses is held behind an approval instead). The relay and the recording run apart: a
/// caller who disconnects stops receiving, but the run is still read to its end and recorded.
extension API {
    func addChatRoute() {
        let services = services
        route(.post, "openclaw/chat", "Chat with the agent: OpenResponses request in, SSE out (recorded as a run, charged from usage). "
              + "A retry with the same Idempotency-Key is answered from the recorded run (Idempotent-Replayed: true), 409 while it still runs.",
              write: true, produces: "sse", accepts: RequestShape(body: Self.openResponsesRequest)) { request, context in
            let tenant = try context.requireTenant()
            let body = try await request.collectBody(limit: services.configuration.chatBodyLimit)
            guard body.readableBytes > 0 else { throw APIError.badRequest("missing request body") }
            guard let json = body.withUnsafeReadableBytes({ try? JSONParser.parse(Data($0)) }), case .object = json else {
                throw APIError.badRequest("the request body must be an OpenResponses JSON object")
            }
            if let user = json["user"], user != .null, user.stringValue?.isEmpty != false { throw APIError.badRequest("user must be a non-empty string") }
            for name in ["model", "instructions"] where json[name].map({ $0 != .null && $0.stringValue == nil }) == true {
                throw APIError.badRequest("\(name) must be a string")
            }
            if let stream = json["stream"], stream != .null, stream != true, stream != false { throw APIError.badRequest("stream must be a boolean") }
            let forwarded = ["x-openclaw-session-key", "x-openclaw-agent-id", "x-openclaw-message-channel", "x-openclaw-account-id"]
                .compactMap { name in request.headers[.init(name)!].map { (name, $0) } }
            let sessionKey = request.headers[.init("x-openclaw-session-key")!]
                ?? json["user"]?.stringValue.map { "agent:main:openresponses-user:\($0)" } ?? "agent:main:openresponses:\(UUID.random().storedSpelling)"
            let proposed = "run_\(UUID.random().storedSpelling)"
            let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"]
            let (runId, start) = try await services.stores.withTenant(tenant) { store -> (String, ChatStart) in
                try await services.requireInstance(store)
                let runtime = try await services.runtimeClient(for: store, tenant: tenant)
                let command = RunDecider.Command.start(runId: proposed, sessionKey: sessionKey, model: json["model"]?.stringValue ?? "openclaw",
                                                       input: String(Services.inputText(json["input"]).prefix(10_000)))
                // A retry (same Idempotency-Key) finds the first request's run and answers from its record.
                let outcome = try await services.command(RunDecider.self, command, on: Streams.run(proposed), in: store, request, context)
                guard case .runStarted(let started)? = outcome.events.first else { throw APIError(.internalServerError, "run not recorded") }
                if outcome.replayed { return (started.runId, .recorded(try await RecordedRun.read(started, in: store).replay())) }
                let runId = started.runId
                do {
                    let response = try await runtime.stream("/v1/responses", tenant: tenant, body: body, headers: forwarded)
                    guard response.status.code < 400 else {
                        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
                        throw RuntimeError(status: RuntimeClient.status(Int(response.status.code)), message: text.isEmpty ? "runtime http \(response.status.code)" : text)
                    }
                    return (runId, .live(response))
                } catch let error as RuntimeError {
                    try? await services.recordRun(runId, .failed(error.message), store: store, tenant: tenant, requestID: context.requestID)
                    throw error
                }
            }
            let upstream: HTTPClientResponse
            switch start {
            case .live(let response): upstream = response
            case .recorded(let replay):
                var replayed = headers
                replayed[.init("X-Run-Id")!] = runId
                return Response(status: .ok, headers: replayed, body: ResponseBody(byteBuffer: replay))
            }
            // The recorder reads the runtime to the end whatever the caller does.
            let (relay, relayInput) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .unbounded)
            let requestID = context.requestID
            let logger = context.logger
            Task {
                do {
                    try await services.record(runId, upstream: upstream, relay: relayInput, tenant: tenant, requestID: requestID)
                } catch {
                    logger.error("chat run not recorded", metadata: ["run": "\(runId)", "error": "\(String(reflecting: type(of: error)))"])
                }
            }
            var live = headers
            live[.init("X-Run-Id")!] = runId
            return Response(status: .ok, headers: live, body: ResponseBody(asyncSequence: relay))
        }
    }
}

/// How a chat request is answered: the runtime's stream, or a retry's replay of the recorded run.
private enum ChatStart {
    case live(HTTPClientResponse)
    case recorded(ByteBuffer)
}

extension Services {
    /// Reads the runtime's stream to its end, passing each chunk to the caller's relay, then
    /// records how the run ended.
    fileprivate func record(_ runId: String, upstream: HTTPClientResponse, relay: AsyncStream<ByteBuffer>.Continuation, tenant: TenantID,
                        requestID: String) async throws {
        try await self.stores.withTenant(tenant) { store in
            var parser = OpenResponsesParser()
            do {
                for try await chunk in upstream.body {
                    relay.yield(chunk)
                    parser.feed(String(buffer: chunk))
                }
            } catch {
                parser.failure = parser.failure ?? "the runtime stream broke off"
            }
            relay.finish()
            try await recordRun(runId, parser.result, store: store, tenant: tenant, requestID: requestID)
        }
    }

    /// Records how a run ended, and charges its tokens.
    func recordRun(_ runId: String, _ result: OpenResponsesParser.Result, store: EventStore, tenant: TenantID, requestID: String) async throws {
        let bus = self.bus(store, tenant: tenant, actor: "runtime", requestID: requestID)
        let stream = Streams.run(runId)
        switch result {
        case .failed(let message):
            _ = try await bus.run(RunDecider.self, .fail(runId: runId, error: message), on: stream)
        case .completed(let text, let usage):
            _ = try await bus.run(RunDecider.self, .complete(runId: runId, text: text, usage: usage), on: stream)
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

/// Follows an OpenResponses SSE stream: the text deltas, then `response.completed` (with usage)
/// or `response.failed`.
struct OpenResponsesParser {
    enum Result {
        case completed(text: String, usage: TokenUsage)
        case failed(String)
    }

    private var pending = ""
    private var text = ""
    private var usage: TokenUsage?
    var failure: String?

    mutating func feed(_ chunk: String) {
        pending += chunk
        while let end = pending.range(of: "\n\n") {
            let block = pending[..<end.lowerBound]
            pending.removeSubrange(..<end.upperBound)
            for line in block.split(separator: "\n") where line.hasPrefix("data: ") {
                let data = line.dropFirst(6)
                guard data != "[DONE]", let event = try? JSONParser.parse(Data(data.utf8)) else { continue }
                switch event["type"]?.stringValue {
                case "response.output_text.delta": text += event["delta"]?.stringValue ?? ""
                case "response.output_text.done": text = event["text"]?.stringValue ?? text
                case "response.completed":
                    let usage = event["response"]?["usage"]
                    self.usage = TokenUsage(inputTokens: usage?["input_tokens"]?.integerValue ?? 0, outputTokens: usage?["output_tokens"]?.integerValue ?? 0)
                case "response.failed":
                    failure = event["response"]?["error"]?["message"]?.stringValue ?? "the run failed"
                default: break
                }
            }
        }
    }

    var result: Result {
        if let failure { return .failed(failure) }
        guard let usage else { return .failed("the runtime stream ended before response.completed") }
        return .completed(text: text, usage: usage)
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
