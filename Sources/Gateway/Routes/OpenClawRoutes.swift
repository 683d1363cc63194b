import Crypto
import Domain
import EventStore
import Foundation
import Hummingbird
import NIOHTTP1
import Projections

/// The plan's `/api/openclaw/*` routes, with the original paths and `data` shapes. Provision,
/// restart, delete, device approval and DM pairing approval are gated (see ``gate(_:_:store:action:approvalId:_:)``).
extension API {
    func addOpenClawRoutes() {
        let services = services
        route(.get, "openclaw/instance", "The instance summary {status, runtime_name, created_at, updated_at, last_ready_at}, or null.") { _, context in
            try await services.stores.withTenant(context.requireTenant()) { store in Envelope.ok(try await services.instanceSummary(store)) }
        }

        route(.get, "openclaw/principal", "Who the caller is: {tenant_id, principal_type: agent (a tenant id starting with agent:) | human}.") { _, context in
            let tenant = try context.requireTenant().rawValue
            return Envelope.ok(["tenant_id": .string(tenant), "principal_type": tenant.hasPrefix("agent:") ? "agent" : "human"])
        }

        route(.post, "openclaw/instance", "Provision the instance (gated; idempotent while one exists).", write: true, accepts: .gated()) { request, context in
            let body = try await request.optionalJSON(limit: services.configuration.bodyLimit)
            return try await services.stores.withTenant(context.requireTenant()) { store in
                let current = try await services.instanceSummary(store)
                let approvalId = try request.approvalId(body: body)
                if approvalId == nil, let status = current["status"]?.stringValue, !["error", "deleted"].contains(status) {
                    return Envelope.ok(current)
                }
                return try await services.gate(request, context, store: store, action: .provision(instanceType: "standard"), approvalId: approvalId) { _ in
                    Envelope.ok(try await services.instanceSummary(store))
                }
            }
        }

        route(.delete, "openclaw/instance", "Delete the instance: stops the gateway (gated).", write: true, accepts: .gated()) { request, context in
            let body = try await request.optionalJSON(limit: services.configuration.bodyLimit)
            return try await services.stores.withTenant(context.requireTenant()) { store in
                try await services.gate(request, context, store: store, action: .deleteInstance, approvalId: try request.approvalId(body: body)) { _ in
                    Envelope.ok(["deleted": true])
                }
            }
        }

        route(.post, "openclaw/runtime/restart", "Restart the gateway (gated).", write: true, accepts: .gated()) { request, context in
            let body = try await request.optionalJSON(limit: services.configuration.bodyLimit)
            return try await services.stores.withTenant(context.requireTenant()) { store in
                try await services.gate(request, context, store: store, action: .restart, approvalId: try request.approvalId(body: body)) { _ in
                    Envelope.ok(["message": "restarting"])
                }
            }
        }

        route(.post, "openclaw/runtime/devices/:requestId/approve", "Approve a device pairing request (gated).", write: true,
              accepts: .gated(path: ["requestId": Schema.identifierInPath])) { request, context in
            let requestId = try context.pathParameter("requestId")
            let body = try await request.optionalJSON(limit: services.configuration.bodyLimit)
            return try await services.stores.withTenant(context.requireTenant()) { store in
                try await services.gate(request, context, store: store, action: .approveDevice(requestId: requestId), approvalId: try request.approvalId(body: body)) { _ in
                    Envelope.ok(["approved": true, "requestId": .string(requestId)])
                }
            }
        }

        route(.post, "openclaw/runtime/pairing/:channel/approve", "Approve a DM pairing code {code, notify?} (gated).", write: true,
              accepts: .gated(["code": ["type": "string", "minLength": 1], "notify": Schema.boolean], required: ["code"], path: ["channel": Schema.channel])) { request, context in
            let channel = try context.pathParameter("channel")
            let body = try await request.optionalJSON(limit: services.configuration.bodyLimit)
            guard let code = body?["code"]?.stringValue, !code.isEmpty else { throw APIError.badRequest("missing code") }
            let notify = body?["notify"] == true
            return try await services.stores.withTenant(context.requireTenant()) { store in
                try await services.gate(request, context, store: store, action: .approveDmPairing(channel: channel, code: code, notify: notify),
                               approvalId: try request.approvalId(body: body)) { data in
                    Envelope.ok(["approved": true, "channel": .string(channel), "code": .string(code),
                                 "stdout": data["stdout"] ?? "", "stderr": data["stderr"] ?? ""])
                }
            }
        }

        route(.post, "openclaw/runtime/backup", "Back the instance up: {lastBackup}.", write: true) { request, context in
            let tenant = try context.requireTenant()
            return try await services.stores.withTenant(tenant) { store in
                try await services.requireInstance(store)
                let backupId = "bk_\(UUID.random().storedSpelling)"
                let outcome = try await services.command(InstanceDecider.self, .requestBackup(backupId: backupId), on: Streams.instance, in: store,
                                                         request, context)
                guard case .backupRequested(let requested)? = outcome.events.first else { throw APIError(.internalServerError, "backup not recorded") }
                let effect = try await store.read { db in try store.projector.row(db, "outbox", "effects", key: "backup:\(requested.backupId)") }
                var data: JSONValue = .null
                if let effect { data = try await Effects(services: services).perform(effect, tenant: tenant, store: store) }
                return Envelope.ok(["lastBackup": data["lastBackup"] ?? .null, "backupId": .string(requested.backupId)], position: store.head)
            }
        }

        route(.get, "openclaw/runtime/status", "The runtime's status {gateway, lastBackup, container, version}.") { _, context in
            try await services.passthrough(context, .GET, "/v1/status")
        }
        route(.get, "openclaw/runtime/devices", "Devices {pending, paired}, from the runtime.") { _, context in
            try await services.passthrough(context, .GET, "/v1/devices")
        }
        route(.get, "openclaw/runtime/pairing/:channel", "DM pairing requests of a channel, from the runtime.",
              accepts: RequestShape(path: ["channel": Schema.channel])) { _, context in
            let channel = try context.pathParameter("channel")
            try DmPairingDecider.checkChannel(channel)
            return try await services.passthrough(context, .GET, "/v1/pairing/\(Effects.segment(channel))")
        }
        route(.get, "openclaw/sessions", "The gateway's sessions (query: limit, activeMinutes, messageLimit, kinds).") { request, context in
            let query = request.uri.query.map { "?\($0)" } ?? ""
            return try await services.passthrough(context, .GET, "/v1/sessions\(query)")
        }
        route(.get, "openclaw/sessions/:key/history", "A session's history (?limit, ?includeTools).",
              accepts: RequestShape(path: ["key": Schema.sessionKeyInPath], query: ["limit": Schema.integer(1...1_000), "includeTools": Schema.booleanText])) { request, context in
            let key = try context.pathParameter("key")
            try SessionDecider.checkKey(key)
            // Checked here, then passed on as given.
            _ = try request.queryInt("limit", in: 1...1_000)
            _ = try request.queryChoice("includeTools", ["true", "false"])
            let query = request.uri.query.map { "?\($0)" } ?? ""
            return try await services.passthrough(context, .GET, "/v1/sessions/\(Effects.segment(key))/history\(query)")
        }

        route(.post, "openclaw/sessions/:key/send", "Send a message to a session {message, timeoutSeconds?}; recorded with its reply. "
              + "A retry with the same Idempotency-Key sends nothing again: the runtime gets the same key and answers as it did.", write: true,
              accepts: RequestShape(path: ["key": Schema.sessionKeyInPath], body: Schema.object(["message": Schema.text(max: 100_000), "timeoutSeconds": Schema.integer(0...3_600)],
                                                                                           required: ["message"]))) { request, context in
            let key = try context.pathParameter("key")
            let body = try await request.json(SessionSend.self, limit: services.configuration.bodyLimit)
            if let timeout = body.timeoutSeconds, !(0...3_600).contains(timeout) { throw APIError.badRequest("timeoutSeconds must be in 0...3600") }
            let tenant = try context.requireTenant()
            return try await services.stores.withTenant(tenant) { store in
                try await services.requireInstance(store)
                let runtime = try await services.runtimeClient(for: store, tenant: tenant)
                // Recorded once: a retry finds the first request's event and writes nothing.
                _ = try await services.command(on: store, request, context, reading: []) { _, decision in
                    try SessionDecider.decide(.sendMessage(key: key, message: body.message, runId: nil), SessionDecider.initialState, decision)
                }
                var payload: JSONValue = ["message": .string(body.message)]
                if let timeout = body.timeoutSeconds { payload = ["message": .string(body.message), "timeoutSeconds": .integer(timeout)] }
                let retry = try request.sendRetryKeys(tenant: tenant)
                func send() async throws -> Response {
                    let data = try await runtime.call(.POST, "/v1/sessions/\(Effects.segment(key))/send", tenant: tenant, body: payload, idempotencyKey: retry?.runtime)
                    let reply = data["reply"]?.stringValue ?? JSONWriter.string(data)
                    // The reply too is recorded once (its event id comes from the request's key).
                    let outcome = try await services.bus(store, tenant: tenant, actor: "runtime", requestID: context.requestID, idempotency: retry?.reply).run(reading: []) { _, decision in
                        try SessionDecider.decide(.recordReply(key: key, reply: reply, runId: data["runId"]?.stringValue), SessionDecider.initialState, decision)
                    }
                    return Envelope.ok(data, position: outcome.position)
                }
                guard let retry else { return try await send() }
                // A retry that comes while the first request is still calling the runtime waits for it.
                return try await services.inTurn(retry.runtime, of: store, send)
            }
        }

        let invocation = Schema.object(["tool": ["type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"], "action": Schema.string, "args": ["type": "object"],
                                        "sessionKey": Schema.sessionKey, "headers": ["type": "object", "additionalProperties": ["type": "string", "pattern": #"^[\x20-\x7E]{1,256}$"#]],
                                        "dryRun": Schema.boolean], required: ["tool"])
        route(.post, "openclaw/tools/invoke", "Invoke a gateway tool {tool, action?, args?, sessionKey?, headers?, dryRun?}; recorded (arguments as a digest). "
              + "Of headers, x-openclaw-message-channel and x-openclaw-account-id are passed on, as the runtime does. "
              + "The runtime gets the call's id as Idempotency-Key, so a retry with the same Idempotency-Key runs nothing again.", write: true,
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
                // A retry finds the first request's call, and goes on from where that call is.
                let invoked = try await services.command(ToolCallDecider.self, .invoke(callId: proposed, tool: body.tool, action: body.action, argsDigest: digest,
                                                                                       sessionKey: body.sessionKey), on: Streams.tool(proposed), in: store, request, context)
                guard case .toolInvoked(let call)? = invoked.events.first else { throw APIError(.internalServerError, "tool call not recorded") }
                let stream = Streams.tool(call.callId)
                var payload: [String: JSONValue] = ["tool": .string(body.tool), "args": args]
                if let action = body.action { payload["action"] = .string(action) }
                if let sessionKey = body.sessionKey { payload["sessionKey"] = .string(sessionKey) }
                if !headers.isEmpty { payload["headers"] = .object(headers.mapValues { .string($0) }) }
                if let dryRun = body.dryRun { payload["dryRun"] = .bool(dryRun) }
                // One request per call at a time: a retry that comes while the first is still
                // calling the runtime waits for it, then goes on from how it ended.
                return try await services.inTurn(stream, of: store) {
                    let state = invoked.replayed ? try await services.streamCache.state(of: stream, as: ToolCallDecider.self, in: store)
                        : ToolCallDecider.evolve(ToolCallDecider.initialState, invoked.events[0])
                    if let failure = state.failure { throw RuntimeError(status: Int(failure.status ?? 502), message: failure.error) }
                    let bus = services.bus(store, tenant: tenant, actor: tenant.rawValue, requestID: context.requestID)
                    /// Records how the call ended, unless this is the retry of a call already completed.
                    func settle(_ command: ToolCallDecider.Command) async throws -> Int64 {
                        guard state.status == .invoked else { return store.head }
                        return try await bus.run(ToolCallDecider.self, command, on: stream).position
                    }
                    let started = ContinuousClock.now
                    do {
                        let data = try await runtime.call(.POST, "/v1/tools/invoke", tenant: tenant, body: .object(payload), idempotencyKey: call.callId)
                        let completed = ToolCallDecider.Command.complete(
                            callId: call.callId, ok: true, durationMs: Int64((ContinuousClock.now - started).milliseconds), resultBytes: Int64(JSONWriter.data(data).count))
                        return Envelope.ok(data, position: try await settle(completed))
                    } catch let error as RuntimeError {
                        _ = try await settle(.fail(callId: call.callId, error: error.message, status: Int64(error.status)))
                        throw error
                    }
                }
            }
        }
    }
}

extension Services {
    /// `InstanceSummary` as the original API shaped it, or null.
    func instanceSummary(_ store: EventStore) async throws -> JSONValue {
        let row = try await store.read { db in try store.projector.row(db, "instance", "instance", key: "instance") }
        guard let row else { return .null }
        return ["status": row["status"] ?? .null, "runtime_name": row["runtimeName"] ?? .null, "created_at": row["createdAt"] ?? .null,
                "updated_at": row["updatedAt"] ?? .null, "last_ready_at": row["lastReadyAt"] ?? .null]
    }

    /// Runtime calls need a ready instance: 404 without one, 409 while it is not ready.
    func requireInstance(_ store: EventStore) async throws {
        guard let status = try await instanceSummary(store)["status"]?.stringValue, status != "deleted" else {
            throw APIError.notFound("instance not found")
        }
        guard status == "ready" else { throw APIError(.conflict, "the instance is \(status)") }
    }

    func runtimeClient() throws -> RuntimeClient {
        guard let runtime = self.runtime else {
            throw APIError(.conflict, "no OpenClaw runtime is configured (CLAWCLOUD_RUNTIME_URL and CLAWCLOUD_SERVICE_TOKEN)")
        }
        return runtime
    }

    /// A read passed to the runtime; its `data` answered as is.
    fileprivate func passthrough(_ context: ClawContext, _ method: NIOHTTP1.HTTPMethod, _ path: String) async throws -> Response {
        let tenant = try context.requireTenant()
        return try await self.stores.withTenant(tenant) { store in
            try await requireInstance(store)
            return Envelope.ok(try await runtimeClient().call(method, path, tenant: tenant))
        }
    }
}

/// What a session send derives from the request's `Idempotency-Key`: the key the runtime call
/// carries, and the idempotency of the reply's event.
private struct SendRetryKeys {
    let runtime: String
    let reply: CommandBus.Idempotency
}

extension Request {
    fileprivate func sendRetryKeys(tenant: TenantID) throws -> SendRetryKeys? {
        guard let key = try idempotencyKey() else { return nil }
        let scope = "\(method) \(uri.path)"
        let digest = SHA256.hash(data: Data("\(tenant.rawValue)\n\(scope)\n\(key)".utf8)).hexString
        return SendRetryKeys(runtime: "send-\(digest.prefix(32))", reply: .init(scope: "\(scope) reply", key: key, bodyDigest: nil))
    }
}

private struct SessionSend: Decodable {
    var message: String
    var timeoutSeconds: Int64?
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
