import AsyncHTTPClient
import Domain
import EventStore
import Foundation
@testable import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Projections
import RuntimeSimulator
import Testing

/// Runs `test` with the simulated runtime on a live port and a gateway (on a live port too) that
/// calls it.
func withRuntime(
    configure: @escaping @Sendable (inout GatewayConfiguration) -> Void = { _ in },
    _ test: @escaping @Sendable (SimulatedRuntime, TestGateway, any TestClientProtocol) async throws -> Void
) async throws {
    let runtime = SimulatedRuntime(serviceToken: TestGateway.serviceToken)
    try await runtime.application(port: 0).test(.live) { runtimeClient in
        let port = try #require(runtimeClient.port)
        let gateway = try await TestGateway {
            $0.runtimeURL = "http://127.0.0.1:\(port)"
            configure(&$0)
        }
        gateway.services.retrier.withLock { $0 = OutboxRetrier(services: gateway.services) }
        try await gateway.run(.live) { client in try await test(runtime, gateway, client) }
    }
}

extension TestClientProtocol {
    /// Calls a gated route: the first call answers 202 with an approval id, which is approved;
    /// the route is then called again with that id.
    func approved(_ method: HTTPRequest.Method, _ uri: String, as user: String = "user_a", body: String? = nil) async throws -> (status: Int, json: JSONValue) {
        let held = try await call(method, uri, as: user, body: body)
        #expect(held.status == 202, "\(uri): \(held.json)")
        #expect(held.json["data"]?["status"] == "approval_required")
        let approvalId = try #require(held.json["data"]?["approvalId"]?.stringValue)
        let decided = try await call(.post, "/api/approvals/\(approvalId)/respond", as: user, body: #"{"decision":"approved"}"#)
        #expect(decided.status == 200 || decided.json["data"]?["result"]?["status"] == "in_progress", "\(decided.json)")
        // Asked with the approval's id until the runtime call is done (202 in_progress on a slow machine).
        for _ in 0..<100 {
            let again = try await execute(uri: uri, method: method, headers: headers(user).adding(.init("X-OA-Approval-Id")!, approvalId),
                                          body: body.map { ByteBuffer(string: $0) })
            let json = try JSONParser.parse(Data(String(buffer: again.body).utf8))
            if json["data"]?["status"] != "in_progress" { return (Int(again.status.code), json) }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw APIError(.internalServerError, "the approved command did not finish")
    }
}

extension TestClientProtocol {
    /// Gives user_a access and a ready instance (provisioned through its approval).
    func provisionReady() async throws {
        _ = try await call(.post, "/api/admin/users/user_a/access", as: "admin", body: #"{"enabled":true}"#)
        #expect(try await approved(.post, "/api/openclaw/instance").json["data"]?["status"] == "ready")
    }
}

extension HTTPFields {
    func adding(_ name: HTTPField.Name, _ value: String) -> HTTPFields {
        var fields = self
        fields[name] = value
        return fields
    }
}

@Suite("Runtime journey")
struct RuntimeJourneyTests {
    @Test("the website journey: waitlist → admin approves → provision held → approved → ready → restart → backup → chat → delete")
    func journey() async throws {
        try await withRuntime { runtime, gateway, client in
            #expect(try await client.call(.post, "/api/openclaw/instance").status == 403)
            _ = try await client.call(.post, "/api/waitlist", body: #"{"email":"ada@example.com"}"#)
            _ = try await client.call(.post, "/api/admin/waitlist/ada@example.com/approval", as: "admin", body: #"{"approved":true}"#)

            let provisioned = try await client.approved(.post, "/api/openclaw/instance")
            #expect(provisioned.status == 200)
            #expect(provisioned.json["data"]?["status"] == "ready")
            #expect(provisioned.json["data"]?["runtime_name"] == "openclaw-user-a")
            #expect(try await client.call(.post, "/api/openclaw/instance").json["data"]?["status"] == "ready")

            let status = try await client.call(.get, "/api/openclaw/runtime/status")
            #expect(status.json["data"]?["version"]?["clawdbot"] == "simulated")

            let restarted = try await client.approved(.post, "/api/openclaw/runtime/restart")
            #expect(restarted.json["data"] == ["message": "restarting"])

            let backup = try await client.call(.post, "/api/openclaw/runtime/backup", idempotency: "backup-1")
            #expect(backup.status == 200)
            #expect(backup.json["data"]?["lastBackup"]?.stringValue?.hasPrefix("20") == true)
            // A retry is the same backup, answered from its record: no second call.
            let backupCalls = await runtime.calls.count { $0 == "POST /v1/storage/backup" }
            let retried = try await client.call(.post, "/api/openclaw/runtime/backup", idempotency: "backup-1")
            #expect(retried.headers[.init("X-Backup-Id")!] == backup.headers[.init("X-Backup-Id")!])
            #expect(backup.json["data"]?.objectValue?.keys.sorted() == ["lastBackup"])
            #expect(retried.json["data"]?["lastBackup"]?.stringValue?.hasPrefix("20") == true)
            #expect(await runtime.calls.count { $0 == "POST /v1/storage/backup" } == backupCalls)

            _ = try await client.call(.post, "/api/admin/credits/grant", as: "admin", body: #"{"userId":"user_a","amountMicros":1000000,"reason":"welcome"}"#)
            let chat = try await client.execute(uri: "/api/openclaw/chat", method: .post, headers: headers("user_a"),
                                                body: ByteBuffer(string: #"{"model":"openclaw","input":"hello there","stream":true}"#))
            let text = String(buffer: chat.body)
            let order = ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
                         "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                         "response.output_item.done", "response.completed"]
            let positions = order.compactMap { text.range(of: "event: \($0)")?.lowerBound }
            #expect(positions.count == order.count)
            #expect(positions == positions.sorted())
            #expect(text.hasSuffix("data: [DONE]\n\n"))
            let runId = try #require(chat.headers[.init("X-Run-Id")!])
            let run = try await eventually { try await gateway.finishedRun(runId) }
            #expect(run["status"] == "completed")
            let spent = try await eventually {
                try await client.call(.get, "/api/billing/summary").json["data"]?["spent_micros"]?.integerValue.flatMap { $0 > 0 ? $0 : nil }
            }
            #expect(spent == (run["usage"]?["inputTokens"]?.integerValue ?? 0) * 2 + (run["usage"]?["outputTokens"]?.integerValue ?? 0) * 2)

            let deleted = try await client.approved(.delete, "/api/openclaw/instance")
            #expect(deleted.json["data"] == ["deleted": true])
            // Deleted: the original answers null; the history stays in the log and the views.
            #expect(try await client.call(.get, "/api/openclaw/instance").json["data"] == .null)
            #expect(try await gateway.row("instance", "instance", "instance")?["status"] == "deleted")
            #expect(try await client.call(.get, "/api/openclaw/runtime/status").status == 404)

            let calls = await runtime.calls
            #expect(calls.contains("POST /v1/gateway/restart"))
            #expect(calls.contains("POST /v1/storage/backup"))
            #expect(calls.contains("POST /v1/gateway/stop"))
            #expect(calls.contains("POST /v1/responses"))
        }
    }

    @Test("approvals of every kind: devices, DM pairing, exec approvals (all three decisions), rejections, held charges")
    func approvals() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()

            // The gateway mints a device request and a DM pairing code; ClawCloud learns of them by reading.
            let requestId = await runtime.connectDevice(tenant: try await gateway.sandbox("user_a"), deviceId: "dev_1", displayName: "Ada's phone")
            let code = try #require(await runtime.messageFromUnknownSender(tenant: try await gateway.sandbox("user_a"), channel: "telegram", sender: "tg:1"))
            // Exec approvals still come by the optional push route.
            let service = headers("user_a").adding(.init("X-OpenAgents-Service-Token")!, TestGateway.serviceToken).adding(.init("X-OA-Instance-Id")!, "user_a")
            func report(_ body: String) async throws -> Int {
                Int(try await client.execute(uri: "/api/openclaw/runtime/events", method: .post, headers: service, body: ByteBuffer(string: body)).status.code)
            }
            for id in ["ex_1", "ex_2", "ex_3"] {
                #expect(try await report(#"{"type":"exec_approval.requested","id":"\#(id)","command":"ls -la","sessionKey":"agent:main:main"}"#) == 200)
            }
            let wrongToken = headers("user_a").adding(.init("X-OpenAgents-Service-Token")!, "nope").adding(.init("X-OA-Instance-Id")!, "user_a")
            #expect(try await client.execute(uri: "/api/openclaw/runtime/events", method: .post, headers: wrongToken,
                                             body: ByteBuffer(string: #"{"type":"session.observed","key":"k"}"#)).status == .unauthorized)

            // Approving the runtime's request: ClawCloud reads the runtime's list first, then gates it.
            let device = try await client.approved(.post, "/api/openclaw/runtime/devices/\(requestId)/approve")
            #expect(device.json["data"] == ["approved": true, "requestId": .string(requestId)])
            #expect(try await client.call(.get, "/api/openclaw/runtime/devices").json["data"]?["paired"]?.arrayCount == 1)
            #expect(try await gateway.row("devices", "devices", requestId)?["status"] == "paired")

            let pairing = try await client.approved(.post, "/api/openclaw/runtime/pairing/telegram/approve", body: #"{"code":"\#(code)","notify":true}"#)
            #expect(pairing.json["data"]?["approved"] == true)
            #expect(pairing.json["data"]?["code"] == .string(code))
            #expect(await runtime.pendingCodes(tenant: try await gateway.sandbox("user_a"), channel: "telegram").isEmpty)
            #expect(try await gateway.row("devices", "dm_pairing", "telegram/\(code)")?["status"] == "approved")
            // A code the runtime never minted is unknown: nothing is held, nothing reaches the runtime.
            let approveCalls = await runtime.calls.count { $0.hasSuffix("/approve") }
            #expect(try await client.call(.post, "/api/openclaw/runtime/pairing/telegram/approve", body: #"{"code":"ZZZZZZZZ"}"#).status == 404)
            #expect(await runtime.calls.count { $0.hasSuffix("/approve") } == approveCalls)

            for (id, decision) in [("ex_1", "allow-once"), ("ex_2", "allow-always"), ("ex_3", "deny")] {
                let response = try await client.call(.post, "/api/approvals/\(id)/respond", body: #"{"decision":"\#(decision)"}"#)
                #expect(response.json["data"]?["decision"] == .string(decision))
                #expect(try await client.call(.post, "/api/approvals/\(id)/respond", body: #"{"decision":"\#(decision)"}"#).status == 200)
            }
            #expect(try await client.call(.post, "/api/approvals/ex_1/respond", body: #"{"decision":"deny"}"#).status == 409)
            #expect(try await client.call(.post, "/api/approvals/ex_1/respond", body: #"{"decision":"maybe"}"#).status == 400)

            // A rejected restart: the held call then answers 409 and nothing reaches the runtime.
            let held = try await client.call(.post, "/api/openclaw/runtime/restart")
            let approvalId = try #require(held.json["data"]?["approvalId"]?.stringValue)
            #expect(try await client.call(.post, "/api/approvals/\(approvalId)/respond", body: #"{"decision":"rejected"}"#).status == 200)
            #expect(try await client.call(.post, "/api/approvals/\(approvalId)/respond", body: #"{"decision":"approved"}"#).status == 409)
            #expect(try await client.call(.post, "/api/openclaw/runtime/restart", body: #"{"approvalId":"\#(approvalId)"}"#).status == 409)
            #expect(await runtime.calls.contains("POST /v1/gateway/restart") == false)

            // A chat with no credits: the charge is held behind an approval, granted here.
            let chat = try await client.execute(uri: "/api/openclaw/chat", method: .post, headers: headers("user_a"),
                                                body: ByteBuffer(string: #"{"input":"hi"}"#))
            let runId = try #require(chat.headers[.init("X-Run-Id")!])
            let charge = try await eventually { try await gateway.row("approvals", "approvals", "apr_\(runId)") }
            #expect(charge["toolName"] == "credits_charge")
            #expect(try await client.call(.post, "/api/approvals/apr_\(runId)/respond", body: #"{"decision":"approved"}"#).status == 200)
            let audit = try await client.call(.get, "/api/audit?kind=spend").json["data"]
            #expect(audit?[index: 0]?["approvalId"] == .string("apr_\(runId)"))
            #expect(try await client.call(.get, "/api/approvals?status=pending").json["data"]?.arrayCount == 0)
        }
    }

    @Test("a tool call or session send retried with its Idempotency-Key reaches the runtime once (which ignores the key), is recorded once, and answers as the first did")
    func retriedRuntimeCalls() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()
            func types() async throws -> [String] {
                try await gateway.events().map(\.type)
            }
            let before = try await types().count

            let tool = #"{"tool":"sessions_list","args":{"limit":5}}"#
            let first = try await client.call(.post, "/api/openclaw/tools/invoke", body: tool, idempotency: "tool-1")
            let again = try await client.call(.post, "/api/openclaw/tools/invoke", body: tool, idempotency: "tool-1")
            #expect(first.status == 200)
            #expect(again.json["data"] == first.json["data"])
            #expect(again.headers[.init("Idempotent-Replayed")!] == "true")
            #expect(await runtime.toolRuns == ["sessions_list"])
            // Another key is another call.
            let other = try await client.call(.post, "/api/openclaw/tools/invoke", body: tool, idempotency: "tool-2")
            #expect(other.status == 200)
            #expect(await runtime.toolRuns.count == 2)
            // Context headers: the two the runtime passes on go through, others are dropped.
            let withHeaders = #"{"tool":"sessions_list","dryRun":false,"headers":{"X-OpenClaw-Message-Channel":"telegram","x-other":"dropped"}}"#
            #expect(try await client.call(.post, "/api/openclaw/tools/invoke", body: withHeaders).status == 200)
            #expect(await runtime.toolHeaders.last == ["x-openclaw-message-channel": "telegram"])
            for bad in [#"{"tool":"t","headers":{"x-openclaw-account-id":"a\u0007b"}}"#, #"{"tool":"t","headers":{"x-openclaw-account-id":1}}"#, #"{"tool":"t","headers":[]}"#, #"{"tool":"t","headers":{"x-other":""}}"#] {
                #expect(try await client.call(.post, "/api/openclaw/tools/invoke", body: bad).status == 400, "\(bad)")
            }
            #expect(await runtime.toolRuns.count == 3)
            // The same key with another body is refused, and runs nothing.
            let mismatch = try await client.call(.post, "/api/openclaw/tools/invoke", body: #"{"tool":"sessions_history"}"#, idempotency: "tool-1")
            #expect(mismatch.status == 409)
            #expect(await runtime.toolRuns.count == 3)

            let send = #"{"message":"hello once"}"#
            let sent = try await client.call(.post, "/api/openclaw/sessions/agent:main:main/send", body: send, idempotency: "send-1")
            let resent = try await client.call(.post, "/api/openclaw/sessions/agent:main:main/send", body: send, idempotency: "send-1")
            #expect(sent.status == 200)
            #expect(resent.json["data"] == sent.json["data"])
            #expect(await runtime.deliveries == ["agent:main:main: hello once"])

            let recorded = try await types().dropFirst(before)
            #expect(recorded.filter { $0 == "tool.invoked" }.count == 3)
            #expect(recorded.filter { $0 == "tool.completed" }.count == 3)
            #expect(recorded.filter { $0 == "session.message_sent" }.count == 1)
            #expect(recorded.filter { $0 == "session.reply_received" }.count == 1)
        }
    }

    @Test("a tool call whose answer is lost is recorded as of unknown outcome; a retry answers so and sends nothing")
    func unknownToolCall() async throws {
        try await withRuntime(configure: { $0.runtimeTimeoutSeconds = 1 }) { runtime, gateway, client in
            try await client.provisionReady()
            await runtime.setStall(.seconds(2))
            let tool = #"{"tool":"sessions_list"}"#
            let timedOut = try await client.call(.post, "/api/openclaw/tools/invoke", body: tool, idempotency: "slow-1")
            #expect(timedOut.status == 504)
            #expect(timedOut.json["code"] == "outcome_unknown")
            try await Task.sleep(for: .seconds(2))
            await runtime.setStall(nil)
            // The runtime ran it after all: once. The retry sends nothing.
            #expect(await runtime.toolRuns == ["sessions_list"])
            let retried = try await client.call(.post, "/api/openclaw/tools/invoke", body: tool, idempotency: "slow-1")
            #expect(retried.status == 504)
            #expect(retried.json["code"] == "outcome_unknown")
            #expect(await runtime.toolRuns == ["sessions_list"])
            let types = try await gateway.events().map(\.type)
            #expect(types.filter { $0 == "tool.outcome_unknown" }.count == 1)
            #expect(!types.contains("tool.failed"))
            #expect(try await gateway.rows("hatchery", "nodes").contains { $0["kind"] == "tool" && $0["status"] == "unknown" })
        }
    }

    @Test("a retry that comes while the first request is still calling the runtime waits for it: the tool runs once, the send is delivered once")
    func concurrentRetries() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()
            await runtime.setStall(.milliseconds(500))
            let tool = #"{"tool":"sessions_list"}"#
            let send = #"{"message":"only once"}"#
            let port = try #require(client.port)
            async let first = liveCall(port: port, .POST, "/openclaw/tools/invoke", body: tool, idempotency: "both-1")
            async let firstSend = liveCall(port: port, .POST, "/openclaw/sessions/agent:main:main/send", body: send, idempotency: "both-2")
            try await Task.sleep(for: .milliseconds(150))
            async let second = liveCall(port: port, .POST, "/openclaw/tools/invoke", body: tool, idempotency: "both-1")
            async let secondSend = liveCall(port: port, .POST, "/openclaw/sessions/agent:main:main/send", body: send, idempotency: "both-2")
            let (a, b, c, d) = try await (first, second, firstSend, secondSend)
            #expect(a.status == 200 && b.status == 200 && c.status == 200 && d.status == 200)
            #expect(a.json["data"] == b.json["data"])
            #expect(c.json["data"] == d.json["data"])
            await runtime.setStall(nil)
            #expect(await runtime.toolRuns == ["sessions_list"])
            #expect(await runtime.deliveries == ["agent:main:main: only once"])
            let types = try await gateway.events().map(\.type)
            #expect(types.filter { $0 == "tool.completed" }.count == 1)
            #expect(types.filter { $0 == "session.reply_received" }.count == 1)
        }
    }

    @Test("an approved command asked for while its approval's runtime call is under way waits for it: one call, one outcome, both answered")
    func concurrentEffect() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()
            let held = try await client.call(.post, "/api/openclaw/runtime/restart")
            let approvalId = try #require(held.json["data"]?["approvalId"]?.stringValue)
            await runtime.setStall(.milliseconds(500))
            let port = try #require(client.port)
            async let granted = liveCall(port: port, .POST, "/approvals/\(approvalId)/respond", body: #"{"decision":"approved"}"#)
            // Asked once the grant's runtime call is under way.
            _ = try await eventually { await runtime.calls.contains("POST /v1/gateway/restart") ? true : nil }
            async let asked = liveCall(port: port, .POST, "/openclaw/runtime/restart", body: #"{"approvalId":"\#(approvalId)"}"#)
            let (a, b) = try await (granted, asked)
            #expect(a.status == 200, "\(a.json)")
            #expect(b.status == 200, "\(b.json)")
            #expect(b.json["data"] == ["message": "restarting"])
            await runtime.setStall(nil)
            #expect(await runtime.calls.filter { $0 == "POST /v1/gateway/restart" }.count == 1)
            let types = try await gateway.events().map(\.type)
            #expect(types.filter { $0 == "instance.restarted" }.count == 1)
            #expect(types.filter { $0 == "approval.executed" }.count == 2)   // the provision's and the restart's
        }
    }

    @Test("a chat retried with its Idempotency-Key is answered from the recorded run: the model runs once, is charged once; a retry while it runs is a 409")
    func retriedChat() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()
            _ = try await client.call(.post, "/api/admin/credits/grant", as: "admin", body: #"{"userId":"user_a","amountMicros":1000000,"reason":"welcome"}"#)
            let body = #"{"model":"openclaw","input":"hello twice","stream":true}"#
            func chat(_ key: String, _ body: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/openclaw/chat", method: .post, headers: headers("user_a", idempotency: key), body: ByteBuffer(string: body))
            }
            func charges() async throws -> Int {
                try await gateway.events().count { $0.type == "credits.charged" }
            }
            let first = try await chat("chat-1", body)
            let runId = try #require(first.headers[.init("X-Run-Id")!])
            var firstParser = OpenResponsesReader()
            firstParser.feed(first.body)
            guard case .completed(let firstText, _, _) = firstParser.result else { Issue.record("the first chat does not complete"); return }
            let run = try await eventually { try await gateway.finishedRun(runId) }
            _ = try await eventually { try await charges() > 0 ? true : nil }

            let again = try await chat("chat-1", body)
            #expect(again.status == .ok)
            #expect(again.headers[.init("X-Run-Id")!] == runId)
            #expect(again.headers[.init("Idempotent-Replayed")!] == "true")
            var parser = OpenResponsesReader()
            parser.feed(again.body)
            guard case .completed(let text, let usage, _) = parser.result else { Issue.record("the replay does not complete: \(String(buffer: again.body))"); return }
            #expect(text == firstText)
            #expect(try await charges() == 1)
            #expect(usage.outputTokens == run["usage"]?["outputTokens"]?.integerValue)
            #expect(String(buffer: again.body).hasSuffix("data: [DONE]\n\n"))
            #expect(try await chat("chat-1", #"{"model":"openclaw","input":"something else"}"#).status == .conflict)
            #expect(await runtime.calls.filter { $0 == "POST /v1/responses" }.count == 1)

            // While the first request still streams, a retry is refused rather than run again.
            await runtime.setStreamPause(.milliseconds(100))
            let port = try #require(client.port)
            async let slow = liveCall(port: port, .POST, "/openclaw/chat", body: body, idempotency: "chat-2")
            try await Task.sleep(for: .milliseconds(300))
            let during = try await liveCall(port: port, .POST, "/openclaw/chat", body: body, idempotency: "chat-2")
            #expect(during.status == 409)
            #expect(try await slow.status == 200)
            #expect(await runtime.calls.filter { $0 == "POST /v1/responses" }.count == 2)
            #expect(try await eventually { let count = try await charges(); return count >= 2 ? count : nil } == 2)
        }
    }

    @Test("with CLAWCLOUD_DEFAULT_MODEL, every runtime call names the default model (x-openclaw-default-model)")
    func defaultModel() async throws {
        try await withRuntime(configure: { $0.defaultModel = "openai/gpt-4o-mini" }) { runtime, gateway, client in
            try await client.provisionReady()
            _ = try await client.call(.get, "/api/openclaw/runtime/status")
            let headers = await runtime.providerKeys
            #expect(!headers.isEmpty)
            #expect(headers.allSatisfy { $0 == ["x-openclaw-default-model": "openai/gpt-4o-mini"] })
            #expect(await runtime.keysInEffect(tenant: try await gateway.sandbox("user_a")) == ["x-openclaw-default-model": "openai/gpt-4o-mini"])
        }
    }

    @Test("a chat client that disconnects does not lose the run's record")
    func chatDisconnect() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()
            await runtime.setStreamPause(.milliseconds(40))
            let port = try #require(client.port)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/openclaw/chat")
            request.method = .POST
            for field in headers("user_a") { request.headers.add(name: field.name.rawName, value: field.value) }
            request.body = .bytes(ByteBuffer(string: #"{"model":"openclaw","input":"tell me a long story","stream":true}"#))
            let reader = Task {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                var iterator = response.body.makeAsyncIterator()
                _ = try await iterator.next()
                return response.headers["X-Run-Id"].first
            }
            let runId = try #require(try await reader.value)
            reader.cancel()
            // Disconnected while the runtime is still streaming: the run is not finished yet, and is recorded when it is.
            #expect(try await gateway.finishedRun(runId) == nil)
            let run = try await eventually { try await gateway.finishedRun(runId) }
            #expect(run["status"] == "completed")
            #expect(run["usage"]?["outputTokens"]?.integerValue ?? 0 > 0)
        }
    }
}

extension TestGateway {
    func row(_ projection: String, _ collection: String, _ key: String, user: String = "user_a") async throws -> Row? {
        try await services.stores.withTenant(TenantID(user)) { store in
            try await store.read { db in try store.projector.row(db, projection, collection, key: key) }
        }
    }

    func rows(_ projection: String, _ collection: String, user: String = "user_a") async throws -> [Row] {
        try await services.stores.withTenant(TenantID(user)) { store in
            try await store.read { db in try store.projector.rows(db, projection, collection, .init(limit: 100)) }
        }
    }

    /// Every event recorded for `user`, in order.
    func events(user: String = "user_a") async throws -> [RecordedEvent] {
        try await services.stores.withTenant(TenantID(user)) { try await $0.read(after: 0, limit: 1_000) }
    }

    /// The sandbox id the runtime knows `user`'s instance by.
    func sandbox(_ user: String) async throws -> String {
        try #require(try await row("instance", "instance", "instance", user: user)?["sandboxId"]?.stringValue)
    }

    /// The sessions view's row of a run, once the run has finished.
    func finishedRun(_ runId: String) async throws -> Row? {
        try await row("sessions", "runs", runId).flatMap { $0["status"] == "running" ? nil : $0 }
    }
}

/// Polls `value` until it is non-nil (for work that finishes after the response).
func eventually<T>(_ value: () async throws -> T?) async throws -> T {
    for _ in 0..<100 {
        if let value = try await value() { return value }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw APIError(.internalServerError, "timed out waiting")
}

@Suite("Expiry")
struct ExpiryTests {
    @Test("the sweeper records expiries once their deadlines pass, and never early")
    func sweep() async throws {
        let gateway = try await TestGateway()
        let sweeper = ExpirySweeper(services: gateway.services)
        try await gateway.run { client in
            let service = headers("user_a").adding(.init("X-OpenAgents-Service-Token")!, TestGateway.serviceToken).adding(.init("X-OA-Instance-Id")!, "user_a")
            for body in [#"{"type":"exec_approval.requested","id":"ex_1","command":"ls","timeoutMs":1}"#,
                         #"{"type":"exec_approval.requested","id":"ex_2","command":"ls"}"#] {
                #expect(try await client.execute(uri: "/api/openclaw/runtime/events", method: .post, headers: service, body: ByteBuffer(string: body)).status == .ok)
            }
            try await Task.sleep(for: .milliseconds(20))
            let pending = try await gateway.services.stores.withTenant(.init("user_a")) { try await sweeper.sweep(.init("user_a"), $0) }
            #expect(pending == 1)
            #expect(try await client.call(.get, "/api/approvals/ex_1").json["data"]?["status"] == "expired")
            #expect(try await client.call(.get, "/api/approvals/ex_2").json["data"]?["status"] == "pending")
            #expect(try await client.call(.post, "/api/approvals/ex_1/respond", body: #"{"decision":"allow-once"}"#).status == 404)
            let audit = try await client.call(.get, "/api/audit?kind=approval").json["data"]
            #expect(audit?[index: 0]?["decision"] == "expired")
            #expect(audit?[index: 0]?["actor"] == "system")
        }
    }
}
