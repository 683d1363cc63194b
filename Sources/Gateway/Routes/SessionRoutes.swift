import Crypto
import Domain
import EventStore
import Foundation
import Hummingbird
import Projections

/// The gateway's sessions: the list (each changed session recorded as `session.observed`), a
/// session's history, and sends — recorded, sent at most once, and ended as the runtime answered
/// (`session.reply_received`, or `session.send_ended` with its status; `unknown` when no answer came).
extension API {
    func addSessionRoutes() {
        let services = services
        route(.get, "openclaw/sessions", "The gateway's sessions (query: limit, activeMinutes, messageLimit, kinds); each changed session is recorded.") { request, context in
            let query = request.uri.query.map { "?\($0)" } ?? ""
            return try await services.observedRead(context, "/v1/sessions\(query)") { try await $0.sessions($1) }
        }

        route(.get, "openclaw/sessions/:key/history", "A session's history (?limit, ?includeTools).",
              accepts: RequestShape(path: ["key": Schema.sessionKeyInPath], query: ["limit": Schema.integer(1...1_000), "includeTools": Schema.booleanText])) { request, context in
            let key = try context.pathParameter("key")
            try SessionDecider.checkKey(key)
            // Checked here, then passed on as given.
            _ = try request.queryInt("limit", in: 1...1_000)
            _ = try request.queryChoice("includeTools", ["true", "false"])
            let query = request.uri.query.map { "?\($0)" } ?? ""
            let tenant = try context.requireTenant()
            return try await services.stores.withTenant(tenant) { store in
                try await services.requireInstance(store)
                return Envelope.ok(try await services.runtimeClient(for: store, tenant: tenant).call(.GET, "/v1/sessions/\(Effects.segment(key))/history\(query)"))
            }
        }

        route(.post, "openclaw/sessions/:key/send", "Send a message to a session {message, timeoutSeconds?}; recorded with how it ended. "
              + "Sent at most once: a retry with the same Idempotency-Key is answered from the first answer (kept 24 hours), never sent again.", write: true,
              accepts: RequestShape(path: ["key": Schema.sessionKeyInPath], body: Schema.object(["message": Schema.text(max: 100_000), "timeoutSeconds": Schema.integer(0...3_600)],
                                                                                           required: ["message"]))) { request, context in
            let key = try context.pathParameter("key")
            let body = try await request.json(SessionSend.self, limit: services.configuration.bodyLimit)
            if let timeout = body.timeoutSeconds, !(0...3_600).contains(timeout) { throw APIError.badRequest("timeoutSeconds must be in 0...3600") }
            let tenant = try context.requireTenant()
            return try await services.stores.withTenant(tenant) { store in
                try await services.requireInstance(store)
                let runtime = try await services.runtimeClient(for: store, tenant: tenant)
                let retry = try request.retryKeys(tenant: tenant)
                // Recorded once: a retry finds the first request's event and writes nothing.
                let sent = try await services.command(on: store, request, context, reading: []) { _, decision in
                    try SessionDecider.decide(.sendMessage(key: key, message: body.message, runId: nil), SessionDecider.initialState, decision)
                }
                var payload: JSONValue = ["message": .string(body.message)]
                if let timeout = body.timeoutSeconds { payload = ["message": .string(body.message), "timeoutSeconds": .integer(timeout)] }
                let send = SendAttempt(services: services, store: store, tenant: tenant, key: key, retry: retry, requestID: context.requestID)
                guard let retry else { return try await send.call(runtime, payload) }
                // One request per key at a time: a retry waits for the first, then answers from how it ended.
                return try await services.inTurn(retry.turn, of: store) {
                    if sent.replayed { return try await send.answerRetry() }
                    return try await send.call(runtime, payload)
                }
            }
        }
    }
}

/// One session send: the runtime call and how it ended, or the answer to a retry.
private struct SendAttempt {
    let services: Services
    let store: EventStore
    let tenant: TenantID
    let key: String
    let retry: RetryKeys?
    let requestID: String

    /// Records how the send ended (once: a retry finds it by its derived id).
    private func end(_ command: SessionDecider.Command) async throws -> CommandBus.Outcome {
        try await services.bus(store, tenant: tenant, actor: "runtime", requestID: requestID, idempotency: retry?.ending)
            .run(reading: []) { _, decision in try SessionDecider.decide(command, SessionDecider.initialState, decision) }
    }

    /// Calls the runtime once and records how the send ended.
    func call(_ runtime: RuntimeClient, _ payload: JSONValue) async throws -> Response {
        let data: JSONValue
        do {
            data = try await runtime.call(.POST, "/v1/sessions/\(Effects.segment(key))/send", body: payload)
        } catch let error as RuntimeError where error.mayHaveRun {
            _ = try await end(.recordSendEnded(key: key, status: .unknown, runId: nil, error: error.message))
            throw APIError(.gatewayTimeout, "\(error.message): the send's outcome is unknown, and it is not sent again", code: "outcome_unknown")
        } catch let error as RuntimeError {
            _ = try await end(.recordSendEnded(key: key, status: .error, runId: nil, error: error.message))
            throw error
        }
        let details = data["details"] ?? data
        let runId = details["runId"]?.stringValue
        let outcome: CommandBus.Outcome
        if details["status"]?.stringValue ?? "ok" == "ok", let reply = details["reply"]?.stringValue {
            outcome = try await end(.recordReply(key: key, reply: reply, runId: runId))
        } else {
            let status = details["status"]?.stringValue.flatMap(SessionDecider.SendOutcome.init(rawValue:)) ?? .accepted
            outcome = try await end(.recordSendEnded(key: key, status: status, runId: runId, error: details["error"]?.stringValue))
        }
        let bytes = Envelope.okBytes(data, position: outcome.position)
        if let retry { try await RetainedResponses.keep(store, key: retry.retained, status: 200, body: Data(bytes), now: RetainedResponses.now) }
        return Envelope.json(bytes)
    }

    /// A retry: the first answer when it is kept; else what the log says of how the first ended.
    func answerRetry() async throws -> Response {
        guard let retry else { throw APIError(.internalServerError, "not a retry") }
        if let kept = try await RetainedResponses.answer(store, key: retry.retained, now: RetainedResponses.now) {
            return Envelope.json(Array(kept.body), status: .init(code: kept.status))
        }
        // No answer kept: the first request's ending, or (none: it was cut short) an unknown outcome, recorded now.
        let ended = try await end(.recordSendEnded(key: key, status: .unknown, runId: nil, error: "the first request was cut short"))
        switch ended.events.first {
        case .sessionSendEnded(let e)? where e.status == "error":
            throw APIError(.badGateway, e.error ?? "the send failed")
        case .sessionSendEnded(let e)? where e.status == "unknown":
            throw APIError(.gatewayTimeout, "the send's outcome is unknown, and it is not sent again", code: "outcome_unknown")
        default:
            throw APIError(.conflict, "this send was carried out; its answer is kept for 24 hours only")
        }
    }
}

/// What a send or tool call derives from the request's `Idempotency-Key`: the turn that orders
/// its retries, the idempotency of the event that ends it, and the key of its kept answer.
struct RetryKeys {
    let turn: String
    let ending: CommandBus.Idempotency
    let retained: String
}

extension Request {
    func retryKeys(tenant: TenantID) throws -> RetryKeys? {
        guard let key = try idempotencyKey() else { return nil }
        let scope = "\(method) \(uri.path)"
        let digest = SHA256.hash(data: Data("\(tenant.rawValue)\n\(scope)\n\(key)".utf8)).hexString
        return RetryKeys(turn: "retry-\(digest.prefix(32))", ending: .init(scope: "\(scope) ending", key: key, bodyDigest: nil), retained: "\(scope)\n\(key)")
    }
}

private struct SessionSend: Decodable {
    var message: String
    var timeoutSeconds: Int64?
}
