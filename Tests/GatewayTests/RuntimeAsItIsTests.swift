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

/// ClawCloud against a runtime that behaves as the real one does: it never calls ClawCloud, mints
/// its own device requests and pairing codes, ignores idempotency keys, sanitizes tenant ids,
/// applies provider keys only at a start, labels every chat answer `text/event-stream`.
@Suite("The runtime as it is")
struct RuntimeAsItIsTests {
    @Test("reading the runtime records what changed: a list read twice records nothing the second time, an entry that leaves it its expiry")
    func observation() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()
            let sandbox = try await gateway.sandbox("user_a")
            let requestId = await runtime.connectDevice(tenant: sandbox, deviceId: "dev_1", displayName: "Phone")
            let code = try #require(await runtime.messageFromUnknownSender(tenant: sandbox, channel: "telegram", sender: "tg:7"))
            _ = try await client.call(.post, "/api/openclaw/sessions/agent:main:main/send", body: #"{"message":"hello"}"#)
            func count(_ type: String) async throws -> Int { try await gateway.events().count { $0.type == type } }

            for _ in 0..<2 {
                #expect(try await client.call(.get, "/api/openclaw/runtime/devices").json["data"]?["pending"]?.arrayCount == 1)
                #expect(try await client.call(.get, "/api/openclaw/runtime/pairing/telegram").json["data"]?["requests"]?.arrayCount == 1)
                #expect(try await client.call(.get, "/api/openclaw/sessions").status == 200)
                #expect(try await client.call(.get, "/api/openclaw/runtime/status").status == 200)
            }
            #expect(try await count("device.pairing_requested") == 1)
            #expect(try await count("dm_pairing.requested") == 1)
            #expect(try await count("session.observed") == 1)
            #expect(try await count("instance.status_observed") == 1)
            #expect(try await gateway.row("devices", "dm_pairing", "telegram/\(code)")?["peer"] == "tg:7")
            #expect(try await gateway.row("sessions", "sessions", "agent:main:main")?["kind"] == "other")
            #expect(try await gateway.rows("hatchery", "nodes").contains { $0["id"] == .string("device:\(requestId)") })

            // Past their time to live the runtime drops them: the next read records their expiry, once.
            await runtime.advanceClock(by: 3_601)
            for _ in 0..<2 {
                #expect(try await client.call(.get, "/api/openclaw/runtime/devices").json["data"]?["pending"]?.arrayCount == 0)
                #expect(try await client.call(.get, "/api/openclaw/runtime/pairing/telegram").json["data"]?["requests"]?.arrayCount == 0)
            }
            #expect(try await count("device.expired") == 1)
            #expect(try await count("dm_pairing.expired") == 1)
            #expect(try await gateway.row("devices", "devices", requestId)?["status"] == "expired")
            // An expired request cannot be approved: the approval is refused before anything is held.
            #expect(try await client.call(.post, "/api/openclaw/runtime/devices/\(requestId)/approve").status == 409)
        }
    }

    @Test("nothing calls the runtime for a tenant no user touched: no polling, no retries, no sweeps wake a gateway")
    func idleTenants() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()
            // The container went idle and stopped; nothing but a user may start it again.
            await runtime.stopGateway(tenant: try await gateway.sandbox("user_a"))
            let before = await runtime.calls.count
            let starts = await runtime.starts.count
            let retrier = try #require(gateway.services.retrier.withLock { $0 })
            await retrier.retryKnown()
            let sweeper = ExpirySweeper(services: gateway.services)
            _ = try await gateway.services.stores.withTenant(.init("user_a")) { try await sweeper.sweep(.init("user_a"), $0) }
            #expect(try await client.call(.get, "/api/openclaw/instance").status == 200)
            #expect(try await client.call(.get, "/api/approvals").status == 200)
            #expect(await runtime.calls.count == before)
            #expect(await runtime.starts.count == starts)
            // A user's read of the runtime does start it (as the real one does).
            #expect(try await client.call(.get, "/api/openclaw/runtime/status").status == 200)
            #expect(await runtime.starts.count == starts + 1)
        }
    }

    @Test("tenant ids that the runtime would sanitize alike get distinct sandboxes, chosen at provisioning")
    func collidingTenants() async throws {
        try await withRuntime { runtime, gateway, client in
            let tenants = ["agent:zed01", "agent-zed01"]
            #expect(SimulatedRuntime.sanitize(tenants[0]) == SimulatedRuntime.sanitize(tenants[1]))
            for tenant in tenants {
                _ = try await client.call(.post, "/api/admin/users/\(tenant)/access", as: "admin", body: #"{"enabled":true}"#)
                #expect(try await client.approved(.post, "/api/openclaw/instance", as: tenant).status == 200)
            }
            let sandboxes = [try await gateway.sandbox(tenants[0]), try await gateway.sandbox(tenants[1])]
            #expect(sandboxes[0] != sandboxes[1])
            #expect(await runtime.sandboxIDs == Set(sandboxes))
            let requestId = await runtime.connectDevice(tenant: sandboxes[0], deviceId: "dev_a")
            #expect(try await client.call(.get, "/api/openclaw/runtime/devices", as: tenants[0]).json["data"]?["pending"]?.arrayCount == 1)
            #expect(try await client.call(.get, "/api/openclaw/runtime/devices", as: tenants[1]).json["data"]?["pending"]?.arrayCount == 0)
            #expect(try await client.call(.post, "/api/openclaw/runtime/devices/\(requestId)/approve", as: tenants[1]).status == 404)
            // The recorded sandbox is the one used ever after.
            let provisioned = try await gateway.events(user: tenants[0]).first { $0.type == "instance.provision_requested" }
            #expect(try JSONParser.parse(try #require(provisioned).data)["sandboxId"] == .string(sandboxes[0]))
        }
    }

    @Test("a chat without stream:true is relayed as JSON, recorded complete with its usage and charged; a gateway error is a failed run")
    func nonStreamedChat() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()
            _ = try await client.call(.post, "/api/admin/credits/grant", as: "admin", body: #"{"userId":"user_a","amountMicros":1000000,"reason":"welcome"}"#)
            let chat = try await client.execute(uri: "/api/openclaw/chat", method: .post, headers: headers("user_a"),
                                                body: ByteBuffer(string: #"{"model":"openclaw","input":"hello","stream":false}"#))
            #expect(chat.status == .ok)
            #expect(chat.headers[.contentType] == "application/json")
            let response = try JSONParser.parse(Data(String(buffer: chat.body).utf8))
            #expect(response["object"] == "response")
            let runId = try #require(chat.headers[.init("X-Run-Id")!])
            let run = try #require(try await gateway.finishedRun(runId))
            #expect(run["status"] == "completed")
            let usage = response["usage"]
            #expect(run["usage"]?["outputTokens"] == usage?["output_tokens"])
            let spent = try await client.call(.get, "/api/billing/summary").json["data"]?["spent_micros"]?.integerValue
            #expect(spent == ((usage?["input_tokens"]?.integerValue ?? 0) + (usage?["output_tokens"]?.integerValue ?? 0)) * 2)
            #expect(run["sessionKey"] == .string("agent:main:openresponses-user:\(runId)"))

            // An item the gateway does not take: it refuses the request, in a 200 labelled text/event-stream.
            let refused = try await client.execute(uri: "/api/openclaw/chat", method: .post, headers: headers("user_a"), body: ByteBuffer(
                string: #"{"model":"clawdbot:ops","user":"Ada","input":[{"type":"function_call_output","call_id":"c1","output":"x"},{"role":"user","content":"hi"}]}"#))
            #expect(refused.status == .badRequest)
            let refusedRun = try #require(refused.headers[.init("X-Run-Id")!])
            let failed = try #require(try await gateway.finishedRun(refusedRun))
            #expect(failed["status"] == "failed")
            #expect(failed["sessionKey"] == "agent:ops:openresponses-user:ada")
            #expect(failed["agentId"] == "ops")
            #expect(try await client.call(.get, "/api/billing/summary").json["data"]?["spent_micros"]?.integerValue == spent)
        }
    }

    @Test("a stream is read as bytes: a character split across chunks survives; a failure midway is a failed run")
    func streamBytes() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()
            await runtime.setChunkSize(3)
            let chat = try await client.execute(uri: "/api/openclaw/chat", method: .post, headers: headers("user_a"),
                                                body: ByteBuffer(string: #"{"model":"openclaw","input":"héllo wörld ✓","stream":true}"#))
            let run = try await eventually { try await gateway.finishedRun(try #require(chat.headers[.init("X-Run-Id")!])) }
            #expect(run["status"] == "completed")
            let transcript = try await gateway.rows("sessions", "transcript").compactMap { $0["text"]?.stringValue }
            #expect(transcript.contains("Simulated OpenClaw — you said: héllo wörld ✓"))
            #expect(!transcript.contains { $0.contains("\u{FFFD}") })

            await runtime.setFailAfterDeltas(2)
            let broken = try await client.execute(uri: "/api/openclaw/chat", method: .post, headers: headers("user_a"),
                                                  body: ByteBuffer(string: #"{"model":"openclaw","input":"again","stream":true}"#))
            let failed = try await eventually { try await gateway.finishedRun(try #require(broken.headers[.init("X-Run-Id")!])) }
            #expect(failed["status"] == "failed")
            #expect(failed["error"] == "Error: the model provider closed the connection")
        }
    }

    @Test("a send the runtime answers timeout, error or forbidden is recorded as that, never as a reply")
    func sendStatuses() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()
            for status in ["timeout", "forbidden"] {
                await runtime.setSendStatus(status)
                let sent = try await client.call(.post, "/api/openclaw/sessions/agent:main:main/send", body: #"{"message":"are you there"}"#)
                #expect(sent.status == 200)
                #expect(sent.json["data"]?["details"]?["status"] == .string(status))
            }
            let events = try await gateway.events()
            #expect(!events.contains { $0.type == "session.reply_received" })
            let ended = try events.filter { $0.type == "session.send_ended" }.map { try JSONParser.parse($0.data)["status"] }
            #expect(ended == ["timeout", "forbidden"])
        }
    }

    @Test("an effect slower than the timeout is performed once: its lost answer is reconciled by observing, and recorded as observed")
    func slowEffect() async throws {
        try await withRuntime(configure: { $0.runtimeTimeoutSeconds = 1 }) { runtime, gateway, client in
            try await client.provisionReady()
            await runtime.setDelay("POST /v1/gateway/restart", .milliseconds(1_500))
            let held = try await client.call(.post, "/api/openclaw/runtime/restart")
            let approvalId = try #require(held.json["data"]?["approvalId"]?.stringValue)
            let granted = try await client.call(.post, "/api/approvals/\(approvalId)/respond", body: #"{"decision":"approved"}"#)
            #expect(granted.status == 504)
            #expect(try await gateway.row("outbox", "effects", "approval:\(approvalId)")?["status"] == "started")
            // Asked again before the runtime is done: reconciling observes the gateway, never restarts it again.
            try await Task.sleep(for: .milliseconds(1_000))
            let retrier = try #require(gateway.services.retrier.withLock { $0 })
            await retrier.retryKnown()
            #expect(try await gateway.row("outbox", "effects", "approval:\(approvalId)")?["status"] == "done")
            let approval = try #require(try await gateway.row("approvals", "approvals", approvalId))
            #expect(approval["outcome"]?["result"] == "succeeded")
            #expect(approval["outcome"]?["detail"]?.stringValue?.hasPrefix("observed:") == true)
            let executed = try await gateway.events().filter { $0.type == "approval.executed" }.last
            #expect(try JSONParser.parse(try #require(executed).data)["observed"] == true)
            #expect(try await client.call(.post, "/api/openclaw/runtime/restart", body: #"{"approvalId":"\#(approvalId)"}"#).status == 200)
            #expect(await runtime.calls.count { $0 == "POST /v1/gateway/restart" } == 1)
        }
    }

    @Test("a caller waiting on an effect longer than the wait gets 202 in_progress; the outcome is recorded when the runtime answers")
    func effectInProgress() async throws {
        try await withRuntime(configure: { $0.effectWait = .milliseconds(300) }) { runtime, gateway, client in
            try await client.provisionReady()
            await runtime.setDelay("POST /v1/gateway/restart", .milliseconds(3_000))
            let held = try await client.call(.post, "/api/openclaw/runtime/restart")
            let approvalId = try #require(held.json["data"]?["approvalId"]?.stringValue)
            let granted = try await client.call(.post, "/api/approvals/\(approvalId)/respond", body: #"{"decision":"approved"}"#)
            #expect(granted.status == 202)
            #expect(granted.json["data"]?["result"] == ["status": "in_progress", "effectId": .string("approval:\(approvalId)")])
            // Answered while the runtime is still carrying it out.
            #expect(try await gateway.row("outbox", "effects", "approval:\(approvalId)")?["status"] == "started")
            let done = try await eventually { try await gateway.row("outbox", "effects", "approval:\(approvalId)").flatMap { $0["status"] == "done" ? $0 : nil } }
            #expect(done["status"] == "done")
            #expect(try await client.call(.post, "/api/openclaw/runtime/restart", body: #"{"approvalId":"\#(approvalId)"}"#).json["data"] == ["message": "restarting"])
            #expect(await runtime.calls.count { $0 == "POST /v1/gateway/restart" } == 1)
        }
    }

    @Test("exec approvals are observed through the runtime's list, and each decision is delivered to the runtime once")
    func execApprovals() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()
            let sandbox = try await gateway.sandbox("user_a")
            let asked = await runtime.requestExecApproval(tenant: sandbox, command: "rm -rf ./build")
            for _ in 0..<2 { #expect(try await client.call(.get, "/api/openclaw/runtime/exec-approvals").json["data"]?["pending"]?.arrayCount == 1) }
            #expect(try await gateway.events().count { $0.type == "exec_approval.requested" } == 1)
            let decided = try await client.call(.post, "/api/approvals/\(asked)/respond", body: #"{"decision":"allow-once"}"#)
            #expect(decided.status == 200)
            #expect(decided.json["data"]?["delivery"]?["result"] == "succeeded")
            #expect(await runtime.execDecisions(tenant: sandbox) == [asked: "allow-once"])
            // The same decision again changes nothing and sends nothing.
            #expect(try await client.call(.post, "/api/approvals/\(asked)/respond", body: #"{"decision":"allow-once"}"#).status == 200)
            #expect(await runtime.calls.count { $0.hasSuffix("/resolve") } == 1)
            #expect(try await client.call(.get, "/api/openclaw/runtime/exec-approvals").json["data"]?["pending"]?.arrayCount == 0)
            #expect(try await gateway.row("outbox", "effects", "exec:\(asked)")?["status"] == "done")
        }
    }

    @Test("an approval the runtime answers approved:false stays false, says why, and the device is not shown paired")
    func deviceGoneBeforeApproval() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()
            let requestId = await runtime.connectDevice(tenant: try await gateway.sandbox("user_a"), deviceId: "dev_9")
            let held = try await client.call(.post, "/api/openclaw/runtime/devices/\(requestId)/approve")
            let approvalId = try #require(held.json["data"]?["approvalId"]?.stringValue)
            // The request expires in the runtime before the human approves (ClawCloud's clock is the real one).
            await runtime.advanceClock(by: 301)
            let granted = try await client.call(.post, "/api/approvals/\(approvalId)/respond", body: #"{"decision":"approved"}"#)
            #expect(granted.json["data"]?["result"]?["approved"] == false)
            let approval = try #require(try await gateway.row("approvals", "approvals", approvalId))
            #expect(approval["outcome"]?["result"] == "failed")
            #expect(approval["outcome"]?["detail"]?.stringValue?.contains("approved:false") == true)
            #expect(try await gateway.row("devices", "devices", requestId)?["status"] == "expired")
        }
    }
}

@Suite("The runtime as it is: crashes")
struct RuntimeCrashTests {
    @Test("killed with SIGKILL between recording a restart and its outcome, then restarted: the runtime is restarted once in all, the outcome observed")
    func killedMidEffect() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("clawcloud-crash-\(UUID().uuidString)").appendingPathComponent("data")
        defer { try? FileManager.default.removeItem(at: data.deletingLastPathComponent()) }
        let runtime = SimulatedRuntime(serviceToken: TestGateway.serviceToken)
        try await runtime.application(port: 0).test(.live) { runtimeClient in
            let environment = ["CLAWCLOUD_RUNTIME_URL": "http://127.0.0.1:\(try #require(runtimeClient.port))",
                               "CLAWCLOUD_SERVICE_TOKEN": TestGateway.serviceToken, "CLAWCLOUD_ADMIN_USER_IDS": "admin"]
            let server = try await ServerProcess(data: data, environment: environment)
            #expect(try await server.send(.POST, "/admin/users/user_crash/access", as: "admin", body: #"{"enabled":true}"#).status == 200)
            for path in ["/openclaw/instance", "/openclaw/runtime/restart"] {
                let held = try await server.send(.POST, path)
                let approvalId = try #require(held.json["data"]?["approvalId"]?.stringValue)
                if path.hasSuffix("restart") { await runtime.setDelay("POST /v1/gateway/restart", .seconds(3)) }
                let respond = Task { try? await server.send(.POST, "/approvals/\(approvalId)/respond", body: #"{"decision":"approved"}"#) }
                if path.hasSuffix("instance") {
                    #expect(await respond.value?.status == 200)
                    continue
                }
                // The restart has reached the runtime, which is still carrying it out: kill ClawCloud now.
                _ = try await eventually { await runtime.calls.contains("POST /v1/gateway/restart") ? true : nil }
                kill(server.process.processIdentifier, SIGKILL)
                server.process.waitUntilExit()
                _ = await respond.value

                let restarted = try await ServerProcess(data: data, environment: environment)
                // Its retrier finds the attempt of the process that died, and observes the runtime instead of calling again.
                let approval = try await eventually {
                    let data = try await restarted.send(.GET, "/approvals/\(approvalId)").json["data"]
                    return data?["status"]?.stringValue == "executed" ? data : nil
                }
                #expect(approval["outcome"]?["result"] == "succeeded", "\(JSONWriter.string(approval))")
                #expect(approval["outcome"]?["detail"]?.stringValue?.hasPrefix("observed:") == true)
                try await Task.sleep(for: .seconds(3))
                #expect(await runtime.calls.count { $0 == "POST /v1/gateway/restart" } == 1)
                restarted.process.terminate()
                restarted.process.waitUntilExit()
            }
        }
    }
}

@Suite("Every view readable")
struct ReadableViewTests {
    @Test("runs (with their cost), tool receipts, sessions, devices, DM codes, backups, the daily credits and the outbox page newest first, filter, and stay the tenant's own")
    func pages() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()
            _ = try await client.call(.post, "/api/admin/credits/grant", as: "admin", body: #"{"userId":"user_a","amountMicros":1000000,"reason":"welcome"}"#)
            var runIds: [String] = []
            for index in 0..<3 {
                let chat = try await client.execute(uri: "/api/openclaw/chat", method: .post, headers: headers("user_a"),
                                                    body: ByteBuffer(string: #"{"model":"openclaw","input":"question \#(index)"}"#))
                runIds.append(try #require(chat.headers[.init("X-Run-Id")!]))
            }
            _ = try await client.call(.post, "/api/openclaw/tools/invoke", body: #"{"tool":"sessions_list"}"#)
            _ = try await client.call(.post, "/api/openclaw/tools/invoke", body: #"{"tool":"exec"}"#)
            _ = try await client.call(.post, "/api/openclaw/runtime/backup")
            _ = await runtime.connectDevice(tenant: try await gateway.sandbox("user_a"), deviceId: "phone")
            _ = try await client.call(.get, "/api/openclaw/runtime/devices")
            _ = try await client.call(.get, "/api/openclaw/sessions")

            let first = try await client.call(.get, "/api/runs?limit=2").json["data"]?.arrayValue ?? []
            #expect(first.map { $0["runId"] } == [.string(runIds[2]), .string(runIds[1])])
            #expect(first.allSatisfy { ($0["costMicros"]?.integerValue ?? 0) > 0 })
            let cursor = try #require(first.last?["cursor"]?.integerValue)
            let second = try await client.call(.get, "/api/runs?limit=2&before=\(cursor)").json["data"]?.arrayValue ?? []
            #expect(second.map { $0["runId"] } == [.string(runIds[0])])
            #expect(try await client.call(.get, "/api/runs?status=failed").json["data"]?.arrayCount == 0)
            #expect(try await client.call(.get, "/api/runs?status=lost").status == 400)

            let tools = try await client.call(.get, "/api/tool-calls").json["data"]?.arrayValue ?? []
            #expect(tools.map { $0["status"] } == ["failed", "completed"])
            #expect(try await client.call(.get, "/api/tool-calls?status=completed").json["data"]?[index: 0]?["tool"] == "sessions_list")
            #expect(try await client.call(.get, "/api/sessions").json["data"]?.arrayCount ?? 0 >= 1)
            #expect(try await client.call(.get, "/api/devices?status=pending").json["data"]?.arrayCount == 1)
            #expect(try await client.call(.get, "/api/dm-pairing?channel=telegram").json["data"]?.arrayCount == 0)
            #expect(try await client.call(.get, "/api/dm-pairing?channel=Bad!").status == 400)
            #expect(try await client.call(.get, "/api/backups?status=taken").json["data"]?.arrayCount == 1)
            let daily = try await client.call(.get, "/api/billing/daily").json["data"]?[index: 0]
            #expect(daily?["grantedMicros"] == 1_000_000)
            #expect(try await client.call(.get, "/api/billing/summary").json["data"]?["spent_by_reason"]?["tokens"]?.integerValue ?? 0 > 0)

            // Another tenant sees none of it; the outbox is the admin's, for a named tenant.
            for path in ["/api/runs", "/api/tool-calls", "/api/devices", "/api/backups", "/api/billing/daily"] {
                #expect(try await client.call(.get, path, as: "user_b").json["data"]?.arrayCount == 0, "\(path)")
            }
            #expect(try await client.call(.get, "/api/admin/outbox?userId=user_a").status == 403)
            let outbox = try await client.call(.get, "/api/admin/outbox?userId=user_a&status=done", as: "admin").json["data"]?.arrayValue ?? []
            #expect(outbox.contains { $0["kind"] == "backup" })
            #expect(try await client.call(.get, "/api/admin/outbox", as: "admin").status == 400)
        }
    }
}
