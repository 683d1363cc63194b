import Foundation
import Hummingbird
import NIOCore

/// The `/v1` routes of the simulated runtime, answering as the real worker and its pinned
/// gateway do (shapes, statuses and messages).
struct SimulatedRoutes {
    let runtime: SimulatedRuntime

    /// Tools the gateway never serves over HTTP.
    static let nonHTTPTools: Set<String> = ["exec", "shell", "spawn", "apply_patch"]

    func add(to v1: RouterGroup<BasicRequestContext>) {
        let runtime = runtime
        v1.get("status") { request, _ in
            let (id, keys) = try await Self.begin(request, runtime, "GET /v1/status")
            await runtime.ensureGateway(id, keys: keys)
            let sandbox = await runtime.sandbox(id)
            return RuntimeEnvelope.ok([
                "gateway": ["status": sandbox.gateway.rawValue], "lastBackup": sandbox.lastBackup as Any? ?? NSNull(),
                "container": ["instanceType": "standard-4"], "version": ["clawdbot": "simulated"],
            ])
        }
        v1.post("gateway/restart") { request, _ in
            let (id, keys) = try await Self.begin(request, runtime, "POST /v1/gateway/restart")
            await runtime.restartGateway(id, keys: keys)
            return RuntimeEnvelope.ok(["message": "restarting"])
        }
        v1.post("gateway/stop") { request, _ in
            let (id, _) = try await Self.begin(request, runtime, "POST /v1/gateway/stop")
            await runtime.update(id) { $0.gateway = .stopped }
            return RuntimeEnvelope.ok(["stopped": true])
        }
        v1.post("storage/backup") { request, _ in
            let (id, _) = try await Self.begin(request, runtime, "POST /v1/storage/backup")
            let format = ISO8601DateFormatter()
            format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let at = format.string(from: await runtime.now)
            await runtime.update(id) { $0.lastBackup = at }
            return RuntimeEnvelope.ok(["lastBackup": at])
        }
        v1.get("devices") { request, _ in
            let (id, keys) = try await Self.begin(request, runtime, "GET /v1/devices")
            await runtime.ensureGateway(id, keys: keys)
            let now = await runtime.now
            let sandbox = await runtime.update(id) { sandbox in sandbox.prune(now: now); return sandbox }
            return RuntimeEnvelope.ok(["pending": sandbox.pendingDevices.map(\.json), "paired": sandbox.pairedDevices.map(\.json)])
        }
        v1.post("devices/:requestId/approve") { request, context in
            let (id, keys) = try await Self.begin(request, runtime, "POST /v1/devices/:requestId/approve")
            let requestId = context.parameters.get("requestId") ?? ""
            await runtime.ensureGateway(id, keys: keys)
            let now = await runtime.now
            let nowMs = await runtime.nowMs
            // An unknown or expired request is not an error: `{approved:false}` (the CLI exits 1).
            let approved = await runtime.update(id) { sandbox -> Bool in
                sandbox.prune(now: now)
                guard let index = sandbox.pendingDevices.firstIndex(where: { $0.requestId == requestId }) else { return false }
                sandbox.pairedDevices.append(.init(device: sandbox.pendingDevices.remove(at: index), approvedAtMs: nowMs))
                return true
            }
            return RuntimeEnvelope.ok(["approved": approved, "requestId": requestId])
        }
        v1.get("pairing/:channel") { request, context in
            let (id, keys) = try await Self.begin(request, runtime, "GET /v1/pairing/:channel")
            let channel = (context.parameters.get("channel") ?? "").trimmingCharacters(in: .whitespaces)
            await runtime.ensureGateway(id, keys: keys)
            let now = await runtime.now
            let requests = await runtime.update(id) { sandbox in sandbox.prune(now: now); return sandbox.pairing[channel] ?? [] }
            return RuntimeEnvelope.ok(["channel": channel, "requests": requests.map(\.json)])
        }
        v1.post("pairing/:channel/approve") { request, context in
            let (id, keys) = try await Self.begin(request, runtime, "POST /v1/pairing/:channel/approve")
            let channel = (context.parameters.get("channel") ?? "").trimmingCharacters(in: .whitespaces)
            let body = try await Self.body(request)
            let code = (body?["code"] as? String)?.trimmingCharacters(in: .whitespaces) ?? ""
            guard !code.isEmpty else { return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "code is required") }
            await runtime.ensureGateway(id, keys: keys)
            let now = await runtime.now
            let found = await runtime.update(id) { sandbox -> Bool in
                sandbox.prune(now: now)
                guard let index = sandbox.pairing[channel]?.firstIndex(where: { $0.code == code }) else { return false }
                sandbox.pairing[channel]?.remove(at: index)
                return true
            }
            // The CLI fails for a code it does not hold pending; the worker answers 500.
            guard found else {
                return RuntimeEnvelope.error(.internalServerError, code: "internal_error", message: "failed to approve pairing request",
                                             details: ["message": "Error: No pending pairing request found for code: \(code)"])
            }
            return RuntimeEnvelope.ok(["approved": true, "channel": channel, "code": code, "stdout": "Approved \(channel) sender.", "stderr": ""])
        }
        v1.get("exec-approvals") { request, _ in
            let (id, keys) = try await Self.begin(request, runtime, "GET /v1/exec-approvals")
            await runtime.ensureGateway(id, keys: keys)
            let now = await runtime.now
            let pending = await runtime.update(id) { sandbox in sandbox.prune(now: now); return sandbox.execApprovals }
            return RuntimeEnvelope.ok(["pending": pending.map(\.json)])
        }
        v1.post("exec-approvals/:approvalId/resolve") { request, context in
            let (id, keys) = try await Self.begin(request, runtime, "POST /v1/exec-approvals/:approvalId/resolve")
            let approvalId = context.parameters.get("approvalId") ?? ""
            let decision = try await Self.body(request)?["decision"] as? String ?? ""
            guard ["allow-once", "allow-always", "deny"].contains(decision) else {
                return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "invalid decision")
            }
            await runtime.ensureGateway(id, keys: keys)
            let now = await runtime.now
            let resolved = await runtime.update(id) { sandbox -> Bool in
                sandbox.prune(now: now)
                guard let index = sandbox.execApprovals.firstIndex(where: { $0.id == approvalId }) else { return false }
                sandbox.execApprovals.remove(at: index)
                sandbox.execDecisions[approvalId] = decision
                return true
            }
            guard resolved else { return RuntimeEnvelope.error(.notFound, code: "not_found", message: "unknown or expired approval id") }
            return RuntimeEnvelope.ok(["resolved": true])
        }
        v1.post("tools/invoke") { request, _ in
            let (id, keys) = try await Self.begin(request, runtime, "POST /v1/tools/invoke")
            guard let body = try await Self.body(request) else {
                return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "invalid json body")
            }
            let tool = (body["tool"] as? String)?.trimmingCharacters(in: .whitespaces) ?? ""
            guard !tool.isEmpty else { return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "tool is required") }
            if let args = body["args"], !(args is [String: Any]) {
                return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "args must be an object")
            }
            if let headers = body["headers"], !(headers is [String: Any]) {
                return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "headers must be an object")
            }
            await runtime.ensureGateway(id, keys: keys)
            var args = body["args"] as? [String: Any] ?? [:]
            if let action = body["action"] as? String { args["action"] = action }
            return await Self.invoke(tool, args: args, sessionKey: body["sessionKey"] as? String, headers: body["headers"] as? [String: String] ?? [:],
                                     sandbox: id, runtime)
        }
        v1.get("sessions") { request, _ in
            let (id, keys) = try await Self.begin(request, runtime, "GET /v1/sessions")
            await runtime.ensureGateway(id, keys: keys)
            // Bad query values are ignored, not refused.
            let limit = request.uri.queryParameters.get("limit").flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
            return RuntimeEnvelope.ok(await Self.sessionsList(sandbox: id, limit: limit, runtime))
        }
        v1.get("sessions/:sessionKey/history") { request, context in
            let (id, keys) = try await Self.begin(request, runtime, "GET /v1/sessions/:sessionKey/history")
            let key = (context.parameters.get("sessionKey") ?? "").removingPercentEncoding ?? ""
            await runtime.ensureGateway(id, keys: keys)
            return RuntimeEnvelope.ok(await Self.history(key, sandbox: id, runtime))
        }
        v1.post("sessions/:sessionKey/send") { request, context in
            let (id, keys) = try await Self.begin(request, runtime, "POST /v1/sessions/:sessionKey/send")
            let key = (context.parameters.get("sessionKey") ?? "").removingPercentEncoding ?? ""
            guard let body = try await Self.body(request) else {
                return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "invalid json body")
            }
            let message = (body["message"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !message.isEmpty else { return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "message is required") }
            if let timeout = body["timeoutSeconds"] as? Double, timeout < 0 {
                return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "timeoutSeconds must be a non-negative number")
            }
            await runtime.ensureGateway(id, keys: keys)
            return RuntimeEnvelope.ok(await Self.send(message, to: key, sandbox: id, runtime))
        }
        v1.post("responses") { request, _ in
            let (id, keys) = try await Self.begin(request, runtime, "POST /v1/responses")
            let buffer = try await request.body.collect(upTo: 20 << 20)
            guard String(buffer: buffer).contains(where: { !$0.isWhitespace }) else {
                return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "request body is required")
            }
            await runtime.ensureGateway(id, keys: keys)
            return await SimulatedResponses.answer(Data(buffer: buffer), sandbox: id, runtime)
        }
    }

    /// The call's sandbox and provider keys, after the route's configured delay.
    static func begin(_ request: Request, _ runtime: SimulatedRuntime, _ route: String) async throws -> (String, [String: String]) {
        if let delay = await runtime.delays[route] { try await Task.sleep(for: delay) }
        var keys: [String: String] = [:]
        for name in RuntimeAuth.keyHeaders {
            if let value = request.headers[.init(name)!] { keys[name] = value }
        }
        return (sandboxID(request), keys)
    }

    /// The first non-empty tenant header, trimmed and sanitized.
    static func sandboxID(_ request: Request) -> String {
        for name in ["x-oa-instance-id", "x-openclaw-instance-id", "x-oa-tenant-key", "x-oa-user-id"] {
            if let value = request.headers[.init(name)!]?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
                return SimulatedRuntime.sanitize(value)
            }
        }
        return "openclaw-runtime"
    }

    static func body(_ request: Request) async throws -> [String: Any]? {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        return (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any]
    }

    /// A tool's result as the gateway wraps it: `{content:[{type:"text", text}], details}`.
    static func wrapped(_ details: [String: Any]) -> [String: Any] {
        let text = (try? JSONSerialization.data(withJSONObject: details, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return ["content": [["type": "text", "text": text]], "details": details]
    }

    static func invoke(_ tool: String, args: [String: Any], sessionKey: String?, headers: [String: String], sandbox id: String,
                       _ runtime: SimulatedRuntime) async -> Response {
        if nonHTTPTools.contains(tool) || tool.hasPrefix("fs_") {
            return RuntimeEnvelope.error(.notFound, code: "not_found", message: "Tool not available: \(tool)",
                                         details: ["error": ["type": "not_found", "message": "Tool not available: \(tool)"]])
        }
        await runtime.ranTool(tool, headers: headers)
        switch tool {
        case "sessions_list":
            return RuntimeEnvelope.ok(await sessionsList(sandbox: id, limit: args["limit"] as? Int, runtime))
        case "sessions_history":
            return RuntimeEnvelope.ok(await history(args["sessionKey"] as? String ?? sessionKey ?? "agent:main:main", sandbox: id, runtime))
        case "sessions_send":
            let key = args["sessionKey"] as? String ?? sessionKey ?? "agent:main:main"
            return RuntimeEnvelope.ok(await send(args["message"] as? String ?? "", to: key, sandbox: id, runtime))
        default:
            return RuntimeEnvelope.ok(wrapped(["tool": tool, "result": "simulated \(tool) result \(UUID().uuidString.lowercased())"]))
        }
    }

    /// `sessions_list`: the pinned gateway reports `agent:main:main` as kind `other`.
    static func sessionsList(sandbox id: String, limit: Int?, _ runtime: SimulatedRuntime) async -> [String: Any] {
        let sessions = await runtime.sandbox(id).sessions
        var rows = sessions.keys.sorted().map { key -> [String: Any] in
            let session = sessions[key]!
            return ["key": key, "kind": key == "agent:main:main" ? "other" : session.kind, "channel": session.channel,
                    "updatedAt": session.updatedAt, "totalTokens": session.totalTokens, "sessionId": "sess_\(SimulatedRuntime.sanitize(key))"]
        }
        if let limit { rows = Array(rows.prefix(limit)) }
        return wrapped(["count": rows.count, "sessions": rows])
    }

    static func history(_ key: String, sandbox id: String, _ runtime: SimulatedRuntime) async -> [String: Any] {
        let messages = await runtime.sandbox(id).sessions[key]?.messages ?? []
        return wrapped(["sessionKey": key, "messages": messages.map { ["role": $0.role, "content": [["type": "text", "text": $0.text]], "timestamp": $0.at] }])
    }

    /// `sessions_send`: `{runId, status, reply?, sessionKey, delivery}`; `reply` only with `ok`.
    /// The message reaches the session unless the send answers `error` or `forbidden`.
    static func send(_ message: String, to key: String, sandbox id: String, _ runtime: SimulatedRuntime) async -> [String: Any] {
        let status = await runtime.sendStatus
        let runId = UUID().uuidString.lowercased()
        var details: [String: Any] = ["runId": runId, "status": status, "sessionKey": key, "delivery": ["status": "pending", "mode": "announce"]]
        switch status {
        case "error": details["error"] = "agent run failed"
        case "forbidden": details["error"] = "Session send is not allowed for this session"
        default:
            let at = await runtime.nowMs
            await runtime.delivered(key, message)
            let reply = "Simulated reply to: \(message)"
            await runtime.update(id) { sandbox in
                var session = sandbox.sessions[key] ?? .init(kind: "other", channel: "webchat", updatedAt: at)
                session.messages.append((role: "user", text: message, at: at))
                if status == "ok" { session.messages.append((role: "assistant", text: reply, at: at)) }
                session.updatedAt = at
                session.totalTokens += Int64(message.count / 4 + 1)
                sandbox.sessions[key] = session
            }
            if status == "ok" { details["reply"] = reply }
        }
        return wrapped(details)
    }
}
