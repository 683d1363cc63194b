import Crypto
import Domain
import EventStore
import Foundation
import Hummingbird
import Projections

/// `POST /api/openclaw/tools/invoke`: a tool call on the gateway, recorded (arguments as a
/// digest) and sent **at most once**. The runtime ignores idempotency keys, so a retry with the
/// same `Idempotency-Key` is answered from the first answer (kept 24 hours), and a call whose
/// answer was lost is recorded as of unknown outcome, never sent again.
extension API {
    func addToolRoutes() {
        let services = services
        let invocation = Schema.object(["tool": ["type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"], "action": Schema.string, "args": ["type": "object"],
                                        "sessionKey": Schema.sessionKey, "headers": ["type": "object", "additionalProperties": ["type": "string", "pattern": #"^[\x20-\x7E]{1,256}$"#]],
                                        "dryRun": Schema.boolean], required: ["tool"])
        route(.post, "openclaw/tools/invoke", "Invoke a gateway tool {tool, action?, args?, sessionKey?, headers?, dryRun?}; recorded (arguments as a digest). "
              + "Of headers, x-openclaw-message-channel and x-openclaw-account-id are passed on, as the runtime does. "
              + "Sent at most once: a retry with the same Idempotency-Key is answered from the first answer (kept 24 hours).", write: true,
              accepts: RequestShape(body: invocation)) { request, context in
            let body = try await request.json(ToolInvocation.self, limit: services.configuration.bodyLimit)
            let headers = try body.contextHeaders()
            let tenant = try context.requireTenant()
            return try await services.stores.withTenant(tenant) { store in
                try await services.requireInstance(store)
                let runtime = try await services.runtimeClient(for: store, tenant: tenant)
                let args = body.args ?? [:]
                let digest = SHA256.hash(data: JSONWriter.data(args)).hexString
                let proposed = "call_\(UUID.random().storedSpelling)"
                // A retry finds the first request's call, and answers from how that call ended.
                let invoked = try await services.command(ToolCallDecider.self, .invoke(callId: proposed, tool: body.tool, action: body.action, argsDigest: digest,
                                                                                       sessionKey: body.sessionKey), on: Streams.tool(proposed), in: store, request, context)
                guard case .toolInvoked(let call)? = invoked.events.first else { throw APIError(.internalServerError, "tool call not recorded") }
                let stream = Streams.tool(call.callId)
                var payload: [String: JSONValue] = ["tool": .string(body.tool), "args": args]
                if let action = body.action { payload["action"] = .string(action) }
                if let sessionKey = body.sessionKey { payload["sessionKey"] = .string(sessionKey) }
                if !headers.isEmpty { payload["headers"] = .object(headers.mapValues { .string($0) }) }
                if let dryRun = body.dryRun { payload["dryRun"] = .bool(dryRun) }
                let retained = try request.retryKeys(tenant: tenant)?.retained
                // One request per call at a time: a retry that comes while the first is still
                // calling the runtime waits for it, then answers from how that call ended.
                return try await services.inTurn(stream, of: store) {
                    let state = invoked.replayed ? try await services.streamCache.state(of: stream, as: ToolCallDecider.self, in: store)
                        : ToolCallDecider.evolve(ToolCallDecider.initialState, invoked.events[0])
                    let bus = services.bus(store, tenant: tenant, actor: tenant.rawValue, requestID: context.requestID)
                    switch state.status {
                    case .failed:
                        throw RuntimeError(status: Int(state.failure?.status ?? 502), message: state.failure?.error ?? "the tool call failed")
                    case .unknown:
                        throw APIError(.gatewayTimeout, "the tool call's outcome is unknown, and it is not sent again", code: "outcome_unknown")
                    case .completed:
                        guard let retained, let kept = try await RetainedResponses.answer(store, key: retained, now: RetainedResponses.now) else {
                            throw APIError(.conflict, "this tool call was carried out; its answer is kept for 24 hours only")
                        }
                        return Envelope.json(Array(kept.body), status: .init(code: kept.status))
                    case .invoked where invoked.replayed:
                        // The first request holds no turn and left no outcome: it was cut short. It may have run.
                        _ = try await bus.run(ToolCallDecider.self, .recordUnknown(callId: call.callId, reason: "the first request was cut short"), on: stream)
                        throw APIError(.gatewayTimeout, "the tool call's outcome is unknown, and it is not sent again", code: "outcome_unknown")
                    case .invoked, .none:
                        break
                    }
                    let started = ContinuousClock.now
                    let data: JSONValue
                    do {
                        data = try await runtime.call(.POST, "/v1/tools/invoke", body: .object(payload))
                    } catch let error as RuntimeError where error.mayHaveRun {
                        _ = try await bus.run(ToolCallDecider.self, .recordUnknown(callId: call.callId, reason: error.message), on: stream)
                        throw APIError(.gatewayTimeout, "\(error.message): the tool call's outcome is unknown, and it is not sent again", code: "outcome_unknown")
                    } catch let error as RuntimeError {
                        _ = try await bus.run(ToolCallDecider.self, .fail(callId: call.callId, error: error.message, status: Int64(error.status)), on: stream)
                        throw error
                    }
                    let completed = try await bus.run(ToolCallDecider.self, .complete(
                        callId: call.callId, ok: true, durationMs: Int64((ContinuousClock.now - started).milliseconds), resultBytes: Int64(JSONWriter.data(data).count)),
                                                      on: stream)
                    let bytes = Envelope.okBytes(data, position: completed.position)
                    if let retained { try await RetainedResponses.keep(store, key: retained, status: 200, body: Data(bytes), now: RetainedResponses.now) }
                    return Envelope.json(bytes)
                }
            }
        }
    }
}

private struct ToolInvocation: Decodable {
    var tool: String
    var action: String?
    var args: JSONValue?
    var sessionKey: String?
    var headers: [String: String]?
    var dryRun: Bool?

    /// The context headers the runtime passes on to the gateway, names lowercased (others are
    /// dropped, as the runtime drops them). Every value must be 1–256 printable ASCII characters.
    func contextHeaders() throws -> [String: String] {
        var kept: [String: String] = [:]
        for (name, value) in headers ?? [:] {
            guard (1...256).contains(value.utf8.count), value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                throw APIError.badRequest("headers.\(name) must be 1-256 printable ASCII characters")
            }
            let name = name.lowercased()
            if ["x-openclaw-message-channel", "x-openclaw-account-id"].contains(name) { kept[name] = value }
        }
        return kept
    }
}
