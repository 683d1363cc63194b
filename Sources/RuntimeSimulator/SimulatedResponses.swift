import Foundation
import Hummingbird
import NIOCore

/// `POST /v1/responses` as the worker and its pinned gateway answer it: always
/// `200 text/event-stream` (the worker pipes the gateway's output through), carrying an
/// OpenResponses event stream when the request asked for `stream:true`, else one JSON
/// `ResponseResource`, and a gateway error body (`{error:{message, type}}`) when the request does
/// not validate.
enum SimulatedResponses {
    static func answer(_ body: Data, sandbox id: String, _ runtime: SimulatedRuntime) async -> Response {
        guard let request = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            return await pipe([json(["error": ["message": "Invalid JSON body", "type": "invalid_request_error"]])], runtime)
        }
        guard let model = request["model"] as? String else {
            return await pipe([json(["error": ["message": "model: Required", "type": "invalid_request_error"]])], runtime)
        }
        guard let input = userText(request["input"]) else {
            return await pipe([json(["error": ["message": "Missing user message in `input`.", "type": "invalid_request_error"]])], runtime)
        }
        let agent = agentId(model: model)
        let user = (request["user"] as? String)?.trimmingCharacters(in: .whitespaces)
        let sessionKey = "agent:\(agent):" + (user.flatMap { $0.isEmpty ? nil : "openresponses-user:\($0.lowercased())" } ?? "openresponses:\(UUID().uuidString.lowercased())")
        let reply = "Simulated OpenClaw — you said: \(input)"
        let usage = ["input_tokens": max(1, input.utf8.count / 4), "output_tokens": reply.split(separator: " ").count,
                     "total_tokens": max(1, input.utf8.count / 4) + reply.split(separator: " ").count]
        let at = await runtime.nowMs
        await runtime.update(id) { sandbox in
            var session = sandbox.sessions[sessionKey] ?? .init(kind: "other", channel: "webchat", updatedAt: at)
            session.messages += [(role: "user", text: input, at: at), (role: "assistant", text: reply, at: at)]
            session.updatedAt = at
            session.totalTokens += Int64(usage["total_tokens"]!)
            sandbox.sessions[sessionKey] = session
        }
        let responseID = "resp_\(UUID().uuidString.lowercased())"
        let itemID = "msg_\(UUID().uuidString.lowercased())"
        let part: [String: Any] = ["type": "output_text", "text": reply, "annotations": [Any]()]
        let message: [String: Any] = ["type": "message", "id": itemID, "role": "assistant", "status": "completed", "content": [part]]
        func resource(_ status: String, output: [Any], usage: [String: Int]?) -> [String: Any] {
            ["id": responseID, "object": "response", "created_at": Int(Date().timeIntervalSince1970), "status": status, "model": model,
             "output": output, "usage": usage ?? ["input_tokens": 0, "output_tokens": 0, "total_tokens": 0]]
        }
        guard request["stream"] as? Bool == true else {
            return await pipe([json(resource("completed", output: [message], usage: usage))], runtime)
        }
        let words = reply.split(separator: " ").map(String.init)
        let failAfter = await runtime.failAfterDeltas
        var events: [(String, [String: Any])] = [
            ("response.created", ["response": resource("in_progress", output: [], usage: nil)]),
            ("response.in_progress", ["response": resource("in_progress", output: [], usage: nil)]),
            ("response.output_item.added", ["output_index": 0, "item": ["type": "message", "id": itemID, "role": "assistant", "status": "in_progress", "content": [Any]()]]),
            ("response.content_part.added", ["item_id": itemID, "output_index": 0, "content_index": 0, "part": ["type": "output_text", "text": ""]]),
        ]
        for (index, word) in words.enumerated() {
            if let failAfter, index == failAfter {
                var failed = resource("failed", output: [], usage: nil)
                failed["error"] = ["code": "api_error", "message": "Error: the model provider closed the connection"]
                events.append(("response.failed", ["response": failed]))
                return await pipe(events.map(sse) + [Data("data: [DONE]\n\n".utf8)], runtime)
            }
            events.append(("response.output_text.delta", ["item_id": itemID, "output_index": 0, "content_index": 0, "delta": index == 0 ? word : " " + word]))
        }
        events += [
            ("response.output_text.done", ["item_id": itemID, "output_index": 0, "content_index": 0, "text": reply]),
            ("response.content_part.done", ["item_id": itemID, "output_index": 0, "content_index": 0, "part": part]),
            ("response.output_item.done", ["output_index": 0, "item": message]),
            ("response.completed", ["response": resource("completed", output: [message], usage: usage)]),
        ]
        return await pipe(events.map(sse) + [Data("data: [DONE]\n\n".utf8)], runtime)
    }

    /// The agent a request runs: `clawdbot:<id>` or `agent:<id>` as the model, else `main`.
    static func agentId(model: String) -> String {
        for prefix in ["clawdbot:", "clawdbot/", "agent:"] where model.lowercased().hasPrefix(prefix) {
            let id = model.dropFirst(prefix.count).lowercased()
            if let first = id.first, first.isLetter || first.isNumber, id.count <= 64,
               id.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" || $0 == "-" }) {
                return String(id)
            }
        }
        return "main"
    }

    /// The last user message of `input` (a string, or items that must each say `type:"message"`).
    static func userText(_ input: Any?) -> String? {
        if let text = input as? String { return text.isEmpty ? nil : text }
        guard let items = input as? [[String: Any]] else { return nil }
        guard items.allSatisfy({ ($0["type"] as? String) == "message" }) else { return nil }
        for item in items.reversed() where (item["role"] as? String) == "user" {
            if let text = item["content"] as? String { return text }
            if let parts = item["content"] as? [[String: Any]] {
                let text = parts.compactMap { $0["text"] as? String }.joined(separator: " ")
                return text.isEmpty ? nil : text
            }
        }
        return nil
    }

    static func json(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    static func sse(_ event: (String, [String: Any])) -> Data {
        var payload = event.1
        payload["type"] = event.0
        return Data("event: \(event.0)\ndata: ".utf8) + json(payload) + Data("\n\n".utf8)
    }

    /// The bytes, labelled `text/event-stream` whatever they are, cut into chunks of the
    /// runtime's chunk size (a chunk may end inside a multi-byte character).
    static func pipe(_ parts: [Data], _ runtime: SimulatedRuntime) async -> Response {
        let bytes = parts.reduce(Data(), +)
        let size = await runtime.chunkSize
        let pause = await runtime.streamPause
        let chunks = stride(from: 0, to: bytes.count, by: size).map { ByteBuffer(bytes: bytes[$0..<min($0 + size, bytes.count)]) }
        return Response(status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"],
                        body: ResponseBody { writer in
                            for chunk in chunks {
                                try await writer.write(chunk)
                                if pause > .zero { try await Task.sleep(for: pause) }
                            }
                            try await writer.finish(nil)
                        })
    }
}
