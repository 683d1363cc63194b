import Domain
import Foundation
@testable import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// The original API's contract, as the website's own clients read it (reference Part A §1).
@Suite("The website's contract")
struct WebsiteContractTests {
    @Test("errors are JSON the website's clients read (application/json, the envelope and RFC 9457 members); problem+json when Accept asks for it")
    func errorEnvelope() async throws {
        let gateway = try await TestGateway()
        try await gateway.run { client in
            _ = try await client.call(.post, "/api/threads", body: #"{"title":"t"}"#)
            let cases: [(HTTPRequest.Method, String, String?, Int)] = [
                (.get, "/api/openclaw/instance/nope", nil, 404), (.get, "/api/threads/missing", nil, 404),
                (.post, "/api/threads", #"{"title":7}"#, 400), (.put, "/api/openclaw/instance", nil, 405),
                (.post, "/api/openclaw/runtime/restart", nil, 404), (.post, "/api/threads", String(repeating: "x", count: 2 << 20), 413),
            ]
            for (method, uri, body, status) in cases {
                let response = try await client.execute(uri: uri, method: method, headers: headers("user_a"), body: body.map { ByteBuffer(string: $0) })
                #expect(Int(response.status.code) == status)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let json = try JSONParser.parse(Data(String(buffer: response.body).utf8))
                #expect(json["ok"] == false)
                #expect(json["data"] == .null)
                #expect(json["error"]?.stringValue?.isEmpty == false)
                #expect(json["status"] == .integer(Int64(status)))
            }
            let unauthorized = try await client.execute(uri: "/api/threads", method: .get, headers: headers("user_a", key: "wrong"))
            #expect(unauthorized.status == .unauthorized)
            #expect(unauthorized.headers[.contentType] == "application/json; charset=utf-8")
            var problem = headers("user_a")
            problem[.accept] = "application/problem+json"
            let asked = try await client.execute(uri: "/api/threads/missing", method: .get, headers: problem)
            #expect(asked.headers[.contentType] == "application/problem+json")
        }
    }

    @Test("the internal key is taken as Authorization: Bearer too, and CORS preflights are answered as the original did")
    func bearerAndCORS() async throws {
        let gateway = try await TestGateway()
        try await gateway.run { client in
            let bearer: HTTPFields = [.authorization: "Bearer \(TestGateway.internalKey)", .init("X-OA-User-Id")!: "user_a"]
            #expect(try await client.execute(uri: "/api/threads", method: .get, headers: bearer).status == .ok)
            let wrong: HTTPFields = [.authorization: "Bearer nope", .init("X-OA-User-Id")!: "user_a"]
            #expect(try await client.execute(uri: "/api/threads", method: .get, headers: wrong).status == .unauthorized)
            let preflight = try await client.execute(uri: "/api/openclaw/instance", method: .options, headers: [:])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == "*")
            #expect(preflight.headers[.accessControlAllowMethods] == "GET, POST, PUT, PATCH, DELETE, OPTIONS")
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("x-oa-internal-key") == true)
            #expect(preflight.headers[.accessControlMaxAge] == "86400")
            let answered = try await client.execute(uri: "/api/threads", method: .get, headers: headers("user_a"))
            #expect(answered.headers[.accessControlAllowOrigin] == "*")
            #expect(answered.headers[.accessControlExposeHeaders] == "content-type, content-length, x-oa-proxy")
        }
    }
}

@Suite("Approvals a plain client completes")
struct RepeatedGateTests {
    @Test("a gated call repeated with the same input: approval_pending (same id), then the result once, then a new approval; after a denial approval_rejected")
    func repeatedCalls() async throws {
        try await withRuntime { runtime, gateway, client in
            try await client.provisionReady()
            let first = try await client.call(.post, "/api/openclaw/runtime/restart", body: "{}")
            #expect(first.status == 202)
            #expect(first.json["data"]?["status"] == "approval_required")
            let approvalId = try #require(first.json["data"]?["approvalId"]?.stringValue)
            // Again while pending: the same approval, not a new one. No body counts as {}.
            let pending = try await client.call(.post, "/api/openclaw/runtime/restart")
            #expect(pending.status == 202)
            #expect(pending.json["data"]?["status"] == "approval_pending")
            #expect(pending.json["data"]?["approvalId"] == .string(approvalId))
            #expect(try await client.call(.post, "/api/approvals/\(approvalId)/respond", body: #"{"decision":"approved"}"#).status == 200)
            // After the grant: the released command's result, in the original shape; performed once.
            let done = try await client.call(.post, "/api/openclaw/runtime/restart", body: "{}")
            #expect(done.status == 200)
            #expect(done.json["data"] == ["message": "restarting"])
            #expect(await runtime.calls.count { $0 == "POST /v1/gateway/restart" } == 1)
            // After that, the same call is a new command.
            let next = try await client.call(.post, "/api/openclaw/runtime/restart")
            #expect(next.json["data"]?["status"] == "approval_required")
            let nextId = try #require(next.json["data"]?["approvalId"]?.stringValue)
            #expect(nextId != approvalId)
            #expect(try await client.call(.post, "/api/approvals/\(nextId)/respond", body: #"{"decision":"rejected"}"#).status == 200)
            let rejected = try await client.call(.post, "/api/openclaw/runtime/restart")
            #expect(rejected.json["data"]?["status"] == "approval_rejected")
            #expect(rejected.json["data"]?["approvalId"] == .string(nextId))
            #expect(try await client.call(.post, "/api/openclaw/runtime/restart").json["data"]?["status"] == "approval_required")
            #expect(await runtime.calls.count { $0 == "POST /v1/gateway/restart" } == 1)
            // The approval's own audit entries: requested, granted or denied, executed — and the answer changes none of them.
            let audit = try await client.call(.get, "/api/audit?kind=approval").json["data"]?.arrayValue ?? []
            #expect(!audit.contains { $0["type"] == "approval.answered" })
        }
    }

    @Test("a repeated delete after its grant answers {deleted:true}; a repeated provision after its grant answers the instance; an expired approval answers approval_rejected")
    func repeatedLifecycle() async throws {
        try await withRuntime { runtime, gateway, client in
            _ = try await client.call(.post, "/api/admin/users/user_a/access", as: "admin", body: #"{"enabled":true}"#)
            let held = try await client.call(.post, "/api/openclaw/instance", body: "{}")
            let approvalId = try #require(held.json["data"]?["approvalId"]?.stringValue)
            #expect(try await client.call(.post, "/api/openclaw/instance", body: "{}").json["data"]?["status"] == "approval_pending")
            _ = try await client.call(.post, "/api/approvals/\(approvalId)/respond", body: #"{"decision":"approved"}"#)
            #expect(try await client.call(.post, "/api/openclaw/instance", body: "{}").json["data"]?["status"] == "ready")
            #expect(try await client.call(.post, "/api/openclaw/instance", body: "{}").json["data"]?["status"] == "ready")

            let delete = try await client.call(.delete, "/api/openclaw/instance")
            let deleteId = try #require(delete.json["data"]?["approvalId"]?.stringValue)
            _ = try await client.call(.post, "/api/approvals/\(deleteId)/respond", body: #"{"decision":"approved"}"#)
            #expect(try await client.call(.delete, "/api/openclaw/instance").json["data"] == ["deleted": true])
            #expect(try await client.call(.get, "/api/openclaw/instance").json["data"] == .null)

            // An approval left to expire: the repeated call answers approval_rejected, once.
            let again = try await client.call(.post, "/api/openclaw/instance", body: "{}")
            let againId = try #require(again.json["data"]?["approvalId"]?.stringValue)
            try await gateway.services.stores.withTenant(.init("user_a")) { store in
                let late = DecisionContext(actor: "system", tenant: "user_a", now: Int64(Date().timeIntervalSince1970 * 1_000) + Expiry.approval + 1)
                let state = try await gateway.services.streamCache.state(of: Streams.approval(againId), as: ApprovalDecider.self, in: store)
                _ = try await gateway.services.bus(store, tenant: .init("user_a"), actor: "system", requestID: "test").run(reading: []) { _, _ in
                    try ApprovalDecider.decide(.expire(approvalId: againId), state, late)
                }
            }
            #expect(try await client.call(.post, "/api/openclaw/instance", body: "{}").json["data"]?["status"] == "approval_rejected")
            #expect(try await client.call(.post, "/api/openclaw/instance", body: "{}").json["data"]?["status"] == "approval_required")
            _ = runtime
        }
    }
}

@Suite("Agent principals")
struct AgentPrincipalTests {
    @Test("signup → key → tenant routes as agent:<id> → revoke → 401; the key is in no file, event, view, log line or response but the signup's")
    func agentKeys() async throws {
        let gateway = try await TestGateway { $0.encryptionKey = SecretTests.key }
        let logs = gateway.logs
        let issued = Mutex<String?>(nil)
        try await gateway.run { client in
            let signup = try await client.execute(uri: "/api/agent/signup", method: .post, headers: [.contentType: "application/json"],
                                                  body: ByteBuffer(string: #"{"handle":"scout","scopes":["openclaw.read"]}"#))
            #expect(signup.status == .ok)
            let data = try JSONParser.parse(Data(String(buffer: signup.body).utf8))["data"]
            #expect(data?.objectValue?.keys.sorted() == ["agentUserId", "apiKey", "keyId"])
            let key = try #require(data?["apiKey"]?.stringValue)
            issued.withLock { $0 = key }
            let agent = try #require(data?["agentUserId"]?.stringValue)
            let keyId = try #require(data?["keyId"]?.stringValue)

            for field: HTTPFields in [[.init("X-OA-Agent-Key")!: key], [.authorization: "Agent \(key)"]] {
                let principal = try await client.execute(uri: "/api/openclaw/principal", method: .get, headers: field)
                #expect(principal.status == .ok)
                let json = try JSONParser.parse(Data(String(buffer: principal.body).utf8))
                #expect(json["data"] == ["tenant_id": .string("agent:\(agent)"), "principal_type": "agent"])
            }
            var agentHeaders: HTTPFields = [.init("X-OA-Agent-Key")!: key, .contentType: "application/json"]
            let thread = try await client.execute(uri: "/api/threads", method: .post, headers: agentHeaders, body: ByteBuffer(string: #"{"title":"Mine"}"#))
            #expect(thread.status == .created)
            #expect(try await client.call(.get, "/api/threads", as: "agent:\(agent)").json["data"]?.arrayCount == 1)
            // Not an admin, and no other agent's key to revoke.
            #expect(try await client.execute(uri: "/api/admin/users", method: .get, headers: agentHeaders).status == .forbidden)
            #expect(try await client.execute(uri: "/api/agent/keys/key_other", method: .delete, headers: agentHeaders).status == .notFound)

            let revoked = try await client.execute(uri: "/api/agent/keys/\(keyId)", method: .delete, headers: agentHeaders)
            #expect(revoked.status == .ok)
            for _ in 0..<2 {
                let refused = try await client.execute(uri: "/api/openclaw/principal", method: .get, headers: agentHeaders)
                #expect(refused.status == .unauthorized)
                #expect(try JSONParser.parse(Data(String(buffer: refused.body).utf8))["error"] == "invalid or revoked agent key")
            }
            agentHeaders[.init("X-OA-Agent-Key")!] = "oa_agent_unknown"
            #expect(try await client.execute(uri: "/api/openclaw/principal", method: .get, headers: agentHeaders).status == .unauthorized)

            // Who held which key when: the platform's events and the admin view.
            let events = try await gateway.services.stores.platform.read(after: 0, limit: 100).map(\.type)
            #expect(events.filter { $0.hasPrefix("agent_key.") } == ["agent_key.issued", "agent_key.used", "agent_key.revoked", "agent_key.refused"])
            let row = try await gateway.services.stores.platform.read { db in try gateway.services.stores.platform.projector.row(db, "admin", "agent_keys", key: keyId) }
            #expect(row?["agentUserId"] == .string(agent))
            #expect(row?["revokedBy"] == .string("agent:\(agent)"))

            let files = FileManager.default.enumerator(at: gateway.directory, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
            for file in files {
                guard let bytes = try? Data(contentsOf: file) else { continue }
                #expect(bytes.range(of: Data(key.utf8)) == nil, "\(file.lastPathComponent) holds the key")
            }
            let stream = try await client.execute(uri: "/api/admin/users", method: .get, headers: headers("admin"))
            #expect(!String(buffer: stream.body).contains(key))
        }
        let key = try #require(issued.withLock { $0 })
        for line in logs.all { #expect(!line.contains(key)) }
    }
}

@Suite("Threads saved the website's way")
struct ThreadSaveTests {
    @Test("a thread saved three times by replace-all (add, revise, remove) keeps every version in the log, and replays into the same views")
    func replaceAll() async throws {
        let gateway = try await TestGateway()
        try await gateway.run { client in
            let thread = try #require(try await client.call(.post, "/api/threads", body: #"{"title":"Saved"}"#).json["data"]?["id"]?.stringValue)
            func save(_ messages: String) async throws -> (status: Int, json: JSONValue, headers: HTTPFields) {
                try await client.call(.put, "/api/threads/\(thread)/messages", body: #"{"messages":[\#(messages)]}"#)
            }
            let m1 = #"{"id":"m1","role":"user","parts":[{"type":"text","text":"Hi"}]}"#
            let first = try await save(#"\#(m1),{"id":"m2","role":"assistant","parts":[{"type":"text","text":"He"}]}"#)
            #expect(first.json["data"] == ["added": 2, "revised": 0, "removed": 0])
            // The streamed reply grew; saved again.
            let second = try await save(#"\#(m1),{"id":"m2","role":"assistant","parts":[{"type":"text","text":"Hello there"}]}"#)
            #expect(second.json["data"] == ["added": 0, "revised": 1, "removed": 0])
            // The first message dropped, a third added.
            let third = try await save(#"{"id":"m2","role":"assistant","parts":[{"type":"text","text":"Hello there"}]},{"id":"m3","role":"user","parts":[{"type":"text","text":"Bye"}]}"#)
            #expect(third.json["data"] == ["added": 1, "revised": 0, "removed": 1])
            // The same list again changes nothing.
            #expect(try await save(#"{"id":"m2","role":"assistant","parts":[{"type":"text","text":"Hello there"}]},{"id":"m3","role":"user","parts":[{"type":"text","text":"Bye"}]}"#).json["data"] == ["added": 0, "revised": 0, "removed": 0])
            // Moving a kept message, or a bad list, is refused and writes nothing.
            #expect(try await save(#"{"id":"m3","role":"user","parts":[{"type":"text","text":"Bye"}]},{"id":"m2","role":"assistant","parts":[{"type":"text","text":"Hello there"}]}"#).status == 409)
            #expect(try await save(#"{"id":"m9","role":"robot","parts":[]}"#).status == 400)

            let messages = try await client.call(.get, "/api/threads/\(thread)/messages").json["data"]?.arrayValue ?? []
            #expect(messages.map { $0["id"] } == ["m2", "m3"])
            #expect(messages.first?["parts"]?[index: 0]?["text"] == "Hello there")
            let index = try await client.call(.get, "/api/threads/\(thread)").json["data"]
            #expect(index?["messageCount"] == 2)
            let page = try await client.call(.get, "/api/threads/\(thread)/messages?after=1&limit=1").json["data"]?.arrayValue ?? []
            #expect(page.map { $0["id"] } == ["m3"])

            let types = try await gateway.events().map(\.type).filter { $0.hasPrefix("message.") }
            #expect(types == ["message.added", "message.added", "message.revised", "message.removed", "message.added"])
            // Rebuilt from the log, the views are the same, byte for byte.
            try await gateway.services.stores.withTenant(.init("user_a")) { store in
                let names = ["thread_messages", "threads_index", "hatchery"]
                let inline = try await store.read { db in try names.map { try store.projector.storedRows(db, $0) } }
                _ = try await store.projector.rebuild(store, only: Set(names))
                let rebuilt = try await store.read { db in try names.map { try store.projector.storedRows(db, $0) } }
                #expect(rebuilt == inline)
            }
        }
    }
}
