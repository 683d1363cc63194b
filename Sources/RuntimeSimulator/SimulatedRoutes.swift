import Foundation
import Hummingbird
import NIOCore

/// The `/v1` routes of the simulated runtime (reference Part A §2.3), with its validation messages.
struct SimulatedRoutes {
    let runtime: SimulatedRuntime

    func add(to v1: RouterGroup<BasicRequestContext>) {
        let runtime = runtime
        v1.get("status") { request, _ in
            let tenant = await runtime.tenant(Self.tenantID(request))
            return RuntimeEnvelope.ok([
                "gateway": ["status": tenant.gateway], "lastBackup": tenant.lastBackup as Any? ?? NSNull(),
                "container": ["instanceType": "standard-4"], "version": ["clawdbot": "simulated"],
            ])
        }
        v1.post("gateway/restart") { request, _ in
            await runtime.update(Self.tenantID(request)) { $0.gateway = "running" }
            return RuntimeEnvelope.ok(["message": "restarting"])
        }
        v1.post("gateway/stop") { request, _ in
            await runtime.update(Self.tenantID(request)) { $0.gateway = "stopped" }
            return RuntimeEnvelope.ok(["stopped": true])
        }
        v1.post("storage/backup") { request, _ in
            let now = ISO8601DateFormatter().string(from: Date())
            await runtime.update(Self.tenantID(request)) { $0.lastBackup = now }
            return RuntimeEnvelope.ok(["lastBackup": now])
        }
        v1.get("devices") { request, _ in
            let tenant = await runtime.tenant(Self.tenantID(request))
            return RuntimeEnvelope.ok(["pending": tenant.pendingDevices, "paired": tenant.pairedDevices])
        }
        v1.post("devices/:requestId/approve") { request, context in
            guard let requestId = context.parameters.get("requestId"), !requestId.isEmpty else {
                return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "requestId is required")
            }
            var approved = false
            await runtime.update(Self.tenantID(request)) { tenant in
                if let index = tenant.pendingDevices.firstIndex(where: { $0["requestId"] == requestId }) {
                    tenant.pairedDevices.append(tenant.pendingDevices.remove(at: index))
                }
                approved = true
            }
            return RuntimeEnvelope.ok(["approved": approved, "requestId": requestId])
        }
        v1.get("pairing/:channel") { request, context in
            let channel = context.parameters.get("channel") ?? ""
            let tenant = await runtime.tenant(Self.tenantID(request))
            return RuntimeEnvelope.ok(["channel": channel, "requests": tenant.pairing[channel] ?? []])
        }
        v1.post("pairing/:channel/approve") { request, context in
            let channel = context.parameters.get("channel") ?? ""
            guard let body = try await Self.body(request), let code = body["code"] as? String, !code.isEmpty else {
                return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "code is required")
            }
            await runtime.update(Self.tenantID(request)) { $0.pairing[channel]?.removeAll { $0["code"] == code } }
            return RuntimeEnvelope.ok(["approved": true, "channel": channel, "code": code, "stdout": "Approved \(code)", "stderr": ""])
        }
        v1.post("tools/invoke") { request, _ in
            try await Self.once(request, runtime) {
                guard let body = try await Self.body(request), let tool = body["tool"] as? String, !tool.isEmpty else {
                    return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "tool is required")
                }
                if let args = body["args"], !(args is [String: Any]) {
                    return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "args must be an object")
                }
                if let headers = body["headers"], !(headers is [String: Any]) {
                    return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "headers must be an object")
                }
                await runtime.ranTool(tool, headers: body["headers"] as? [String: String] ?? [:])
                return RuntimeEnvelope.ok(["content": [["type": "text", "text": "simulated \(tool) result \(UUID().uuidString.lowercased())"]]])
            }
        }
        v1.get("sessions") { request, _ in
            let tenant = await runtime.tenant(Self.tenantID(request))
            let sessions = tenant.sessions.keys.sorted().map { key in
                ["key": key, "kind": "direct", "channel": "webchat", "totalTokens": (tenant.sessions[key]?.count ?? 0) * 10] as [String: Any]
            }
            return RuntimeEnvelope.ok(["sessions": sessions])
        }
        v1.get("sessions/:sessionKey/history") { request, context in
            let key = context.parameters.get("sessionKey") ?? ""
            let messages = await runtime.tenant(Self.tenantID(request)).sessions[key] ?? []
            return RuntimeEnvelope.ok(["sessionKey": key, "messages": messages.map { ["role": "user", "text": $0] }])
        }
        v1.post("sessions/:sessionKey/send") { request, context in
            try await Self.once(request, runtime) {
                let key = context.parameters.get("sessionKey") ?? ""
                guard let body = try await Self.body(request), let message = body["message"] as? String, !message.isEmpty else {
                    return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "message is required")
                }
                await runtime.update(Self.tenantID(request)) { $0.sessions[key, default: []].append(message) }
                return RuntimeEnvelope.ok(["runId": "run_\(UUID().uuidString.lowercased())", "status": "ok", "reply": "Simulated reply to: \(message)"])
            }
        }
        v1.post("responses") { request, _ in
            let buffer = try await request.body.collect(upTo: 20 << 20)
            guard buffer.readableBytes > 0,
                  let body = (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any]
            else { return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "request body is required") }
            return OpenResponsesStream.response(for: body, pause: await runtime.streamPause)
        }
    }

    /// Answers a call that repeats an earlier one's `Idempotency-Key` (same tenant) with that
    /// call's answer; otherwise runs `handle` and keeps its answer under the key.
    static func once(_ request: Request, _ runtime: SimulatedRuntime, _ handle: () async throws -> Response) async throws -> Response {
        let tenant = tenantID(request)
        guard let key = request.headers[.init("Idempotency-Key")!] else { return try await handle() }
        if let answer = await runtime.tenant(tenant).answers[key] { return answer }
        let answer = try await handle()
        await runtime.update(tenant) { $0.answers[key] = answer }
        return answer
    }

    static func tenantID(_ request: Request) -> String {
        for name in ["x-oa-instance-id", "x-openclaw-instance-id", "x-oa-tenant-key", "x-oa-user-id"] {
            if let value = request.headers[.init(name)!], !value.isEmpty { return value }
        }
        return "openclaw-runtime"
    }

    static func body(_ request: Request) async throws -> [String: Any]? {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        return (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any]
    }
}

/// A streamed OpenResponses answer in the gateway's emission order (reference Part B §3).
enum OpenResponsesStream {
    static func response(for body: [String: Any], pause: Duration) -> Response {
        let input = inputText(body["input"])
        let reply = "Simulated OpenClaw here. You said: \(input)"
        let words = reply.split(separator: " ").map(String.init)
        let responseID = "resp_\(UUID().uuidString.lowercased())"
        let itemID = "msg_\(UUID().uuidString.lowercased())"
        let model = body["model"] as? String ?? "openclaw"
        let usage = ["input_tokens": max(1, input.count / 4), "output_tokens": words.count, "total_tokens": max(1, input.count / 4) + words.count]
        func resource(_ status: String, output: [Any], usage: [String: Int]? = nil) -> [String: Any] {
            var response: [String: Any] = ["id": responseID, "object": "response", "created_at": Int(Date().timeIntervalSince1970),
                                           "status": status, "model": model, "output": output]
            if let usage { response["usage"] = usage }
            return response
        }
        let part = ["type": "output_text", "text": reply]
        let done: [String: Any] = ["type": "message", "id": itemID, "role": "assistant", "status": "completed", "content": [part]]
        var events: [(String, [String: Any])] = [
            ("response.created", ["response": resource("in_progress", output: [])]),
            ("response.in_progress", ["response": resource("in_progress", output: [])]),
            ("response.output_item.added", ["output_index": 0, "item": ["type": "message", "id": itemID, "role": "assistant", "status": "in_progress", "content": []]]),
            ("response.content_part.added", ["item_id": itemID, "output_index": 0, "content_index": 0, "part": ["type": "output_text", "text": ""]]),
        ]
        for (index, word) in words.enumerated() {
            events.append(("response.output_text.delta", ["item_id": itemID, "output_index": 0, "content_index": 0, "delta": index == 0 ? word : " " + word]))
        }
        events += [
            ("response.output_text.done", ["item_id": itemID, "output_index": 0, "content_index": 0, "text": reply]),
            ("response.content_part.done", ["item_id": itemID, "output_index": 0, "content_index": 0, "part": part]),
            ("response.output_item.done", ["output_index": 0, "item": done]),
            ("response.completed", ["response": resource("completed", output: [done], usage: usage)]),
        ]
        let chunks = events.map { type, payload -> ByteBuffer in
            var payload = payload
            payload["type"] = type
            let data = (try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])) ?? Data()
            return ByteBuffer(string: "event: \(type)\ndata: \(String(decoding: data, as: UTF8.self))\n\n")
        } + [ByteBuffer(string: "data: [DONE]\n\n")]
        return Response(status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"],
                        body: ResponseBody { writer in
                            for chunk in chunks {
                                try await writer.write(chunk)
                                if pause > .zero { try await Task.sleep(for: pause) }
                            }
                            try await writer.finish(nil)
                        })
    }

    /// The text of the last user message: `input` as a string or as items.
    static func inputText(_ input: Any?) -> String {
        if let text = input as? String { return text }
        guard let items = input as? [[String: Any]] else { return "" }
        for item in items.reversed() where (item["role"] as? String) == "user" {
            if let text = item["content"] as? String { return text }
            if let parts = item["content"] as? [[String: Any]] {
                return parts.compactMap { $0["text"] as? String }.joined(separator: " ")
            }
        }
        return ""
    }
}
