import Crypto
import Domain
import EventStore
import Foundation
@testable import Gateway
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@Suite("HTTP gateway")
struct GatewayTests {
    @Test("credentials: a wrong or missing key is 401, a hostile user id 400, admin routes 403 for others")
    func auth() async throws {
        let gateway = try await TestGateway()
        try await gateway.run { client in
            #expect(try await client.call(.get, "/api/threads", key: "wrong").status == 401)
            let missing = try await client.execute(uri: "/api/threads", method: .get)
            #expect(missing.status == .unauthorized)
            for hostile in ["../etc/passwd", "a b", String(repeating: "x", count: 129), "user%2F1", "ü"] {
                let response = try await client.call(.get, "/api/threads", as: hostile)
                #expect(response.status == 400, "\(hostile)")
                #expect(response.json["code"] == "bad_request")
            }
            #expect(try await client.call(.get, "/api/admin/users").status == 403)
            #expect(try await client.call(.get, "/api/admin/users", as: "admin").status == 200)
            #expect(try await client.call(.get, "/api/threads", as: "agent:ops_1").status == 200)
            let health = try await client.execute(uri: "/api/health", method: .get)
            #expect(health.status == .ok)
            #expect(try await client.call(.get, "/api/openclaw/principal", as: "agent:ops_1").json["data"] == ["tenant_id": "agent:ops_1", "principal_type": "agent"])
            #expect(try await client.call(.get, "/api/openclaw/principal").json["data"] == ["tenant_id": "user_a", "principal_type": "human"])
            #expect(try await client.call(.get, "/api/openclaw/principal", key: "wrong").status == 401)
            // The original API's index, served without credentials; every path it names is a route.
            let index = try await client.execute(uri: "/api/openclaw", method: .get)
            #expect(index.status == .ok)
            let paths = try #require(try JSONParser.parse(Data(String(buffer: index.body).utf8))["data"]?.objectValue)
            #expect(paths.count == 13)
            #expect(paths["principal"] == "/api/openclaw/principal")
            for case .string(let path) in paths.values {
                #expect(gateway.services.routes.all.contains { $0.path == path }, "\(path)")
            }
        }
    }

    @Test("a secret matches only itself: not a prefix, an extension, another case or the empty string")
    func secretDigest() {
        let secret = SecretDigest("internal-key")
        #expect(secret.matches("internal-key"))
        for other in ["internal-ke", "internal-key ", "Internal-key", ""] { #expect(!secret.matches(other), "\(other)") }
    }

    @Test("threads: create, list, read, rename, archive, messages in order; every write answers its position")
    func threads() async throws {
        let gateway = try await TestGateway()
        try await gateway.run { client in
            let created = try await client.call(.post, "/api/threads", body: #"{"title":"Plan a trip","kind":"project"}"#)
            #expect(created.status == 201)
            #expect(created.json["ok"] == true)
            #expect(created.json["position"] == 1)
            let id = try #require(created.json["data"]?["id"]?.stringValue)
            #expect(created.json["data"]?["kind"] == "project")

            let message = try await client.call(.post, "/api/threads/\(id)/messages",
                                                body: #"{"id":"m1","role":"user","parts":[{"type":"text","text":"Hi"}]}"#)
            #expect(message.status == 201)
            #expect(message.json["position"] == 2)
            _ = try await client.call(.post, "/api/threads/\(id)/messages", body: #"{"id":"m2","role":"assistant","parts":[{"type":"text","text":"Hello!"}]}"#)
            let messages = try await client.call(.get, "/api/threads/\(id)/messages")
            #expect(messages.json["data"]?.arrayCount == 2)
            #expect(messages.json["data"]?[index: 0]?["id"] == "m1")
            #expect(messages.json["data"]?[index: 1]?["id"] == "m2")

            let patched = try await client.call(.patch, "/api/threads/\(id)", body: #"{"title":"Trip to Lisbon","archived":true}"#)
            #expect(patched.json["data"]?["title"] == "Trip to Lisbon")
            #expect(patched.json["data"]?["archived"] == true)
            #expect(patched.json["position"] == 5)
            #expect(try await client.call(.get, "/api/threads").json["data"]?.arrayCount == 0)
            #expect(try await client.call(.get, "/api/threads?archived=true").json["data"]?.arrayCount == 1)
            #expect(try await client.call(.get, "/api/threads/\(id)").json["data"]?["messageCount"] == 2)
        }
    }

    @Test("bad input is a 4xx naming the problem, and writes nothing")
    func badInput() async throws {
        let gateway = try await TestGateway { $0.bodyLimit = 4_096 }
        let stores = gateway.services.stores
        try await gateway.run { client in
            let id = try #require(try await client.call(.post, "/api/threads", body: "{}").json["data"]?["id"]?.stringValue)
            let cases: [(HTTPRequest.Method, String, String?, Int, String)] = [
                (.post, "/api/threads", "{", 400, "malformed JSON"),
                (.post, "/api/threads", #"{"title":7}"#, 400, "title"),
                (.post, "/api/threads", #"{"kind":"folder"}"#, 400, "kind"),
                (.post, "/api/threads", "[1]", 400, "JSON object"),
                (.post, "/api/threads", nil, 400, "missing request body"),
                (.post, "/api/threads", #"{"title":"\#(String(repeating: "x", count: 5_000))"}"#, 413, "larger than"),
                (.post, "/api/threads/\(id)/messages", #"{"id":"m1","role":"robot","parts":[{"type":"text"}]}"#, 400, "role"),
                (.post, "/api/threads/\(id)/messages", #"{"id":"m1","role":"user","parts":[]}"#, 400, "parts"),
                (.post, "/api/threads/\(id)/messages", #"{"role":"user","parts":[{"type":"text"}]}"#, 400, "id"),
                (.post, "/api/threads/nope/messages", #"{"id":"m1","role":"user","parts":[{"type":"text"}]}"#, 404, "thread not found"),
                (.get, "/api/threads?limit=0", nil, 400, "limit"),
                (.get, "/api/threads?archived=maybe", nil, 400, "archived"),
                (.get, "/api/nowhere", nil, 404, "no such route"),
                (.delete, "/api/threads", nil, 405, "not allowed"),
                (.get, "/api/threads/%00", nil, 400, "path parameter"),
                (.post, "/api/waitlist", #"{"email":"not-an-email"}"#, 400, "email"),
                (.get, "/api/stream?since=-4", nil, 400, "since"),
                // What the routes to the runtime check before they call it.
                (.get, "/api/openclaw/runtime/pairing/Tele%20gram", nil, 400, "channel"),
                (.get, "/api/openclaw/sessions/agent:main:main/history?limit=none", nil, 400, "limit"),
                (.get, "/api/openclaw/sessions/a%20b/history", nil, 400, "session key"),
                (.post, "/api/openclaw/sessions/agent:main:main/send", #"{"message":"hi","timeoutSeconds":-1}"#, 400, "timeoutSeconds"),
                (.post, "/api/openclaw/chat", #"{"input":"hi","user":7}"#, 400, "user"),
                (.post, "/api/openclaw/chat", #"{"input":"hi","stream":"yes"}"#, 400, "stream"),
                (.post, "/api/openclaw/instance", #"{"approvalId":7}"#, 400, "approvalId"),
            ]
            for (method, uri, body, status, text) in cases {
                let response = try await client.call(method, uri, body: body)
                #expect(response.status == status, "\(method) \(uri)")
                #expect(response.json["ok"] == false)
                #expect(response.json["error"]?.stringValue?.contains(text) == true, "\(uri): \(response.json)")
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            }
            // An Idempotency-Key is checked on every write, also where nothing is replayed.
            let badKey = try await client.call(.post, "/api/openclaw/tools/invoke", body: #"{"tool":"x"}"#, idempotency: "a b")
            #expect(badKey.status == 400)
            #expect(badKey.json["error"]?.stringValue?.contains("Idempotency-Key") == true)
            #expect(try await stores.withTenant(TenantID("user_a")) { $0.head } == 1)
            #expect(stores.platform.head == 0)
        }
    }

    @Test("a retried write with the same Idempotency-Key answers the first result and writes nothing; the key with another body is a conflict")
    func idempotency() async throws {
        let gateway = try await TestGateway()
        try await gateway.run { client in
            let first = try await client.call(.post, "/api/threads", body: #"{"title":"Once"}"#, idempotency: "k-1")
            let again = try await client.call(.post, "/api/threads", body: #"{"title":"Once"}"#, idempotency: "k-1")
            #expect(first.status == 201)
            #expect(again.status == 201)
            #expect(again.json["data"]?["id"] == first.json["data"]?["id"])
            #expect(again.json["position"] == first.json["position"])
            #expect(first.headers[.init("Idempotent-Replayed")!] == nil)
            #expect(again.headers[.init("Idempotent-Replayed")!] == "true")
            #expect(try await client.call(.get, "/api/threads").json["data"]?.arrayCount == 1)
            // The same key with another body is another request, refused: the first result is not its answer.
            let reused = try await client.call(.post, "/api/threads", body: #"{"title":"Other"}"#, idempotency: "k-1")
            #expect(reused.status == 409)
            #expect(reused.json["code"] == "conflict")
            #expect(try await client.call(.get, "/api/threads").json["data"]?.arrayCount == 1)
            let other = try await client.call(.post, "/api/threads", body: #"{"title":"Twice"}"#, idempotency: "k-2")
            #expect(other.json["position"] == 2)
            // The same key from another tenant is another request.
            #expect(try await client.call(.post, "/api/threads", as: "user_b", body: "{}", idempotency: "k-1").json["position"] == 1)
            // Each event's metadata names the actor, the request and its key.
            let stored = try await gateway.services.stores.withTenant(TenantID("user_a")) { try await $0.read(after: 0, limit: 10) }
            let metadata = try stored.map { try JSONParser.parse($0.metadata) }
            #expect(metadata.map { $0["actor"] } == [.string("user_a"), .string("user_a")])
            #expect(metadata.map { $0["idempotency_key"] } == [.string("k-1"), .string("k-2")])
            // …and the digest of the body that came with the key.
            #expect(metadata[0]["body_digest"] == .string(SHA256.hash(data: Data(#"{"title":"Once"}"#.utf8)).hexString))
            #expect(metadata.allSatisfy { $0["request_id"]?.stringValue?.isEmpty == false })
            #expect(stored.map(\.decodedMetadata.requestID) == metadata.map { $0["request_id"]?.stringValue })
        }
    }

    @Test("tenants are isolated: user B gets 404 for A's thread and sees none of A's data")
    func isolation() async throws {
        let gateway = try await TestGateway()
        try await gateway.run { client in
            let id = try #require(try await client.call(.post, "/api/threads", as: "user_a", body: #"{"title":"Secret plans"}"#).json["data"]?["id"]?.stringValue)
            #expect(try await client.call(.get, "/api/threads/\(id)", as: "user_b").status == 404)
            #expect(try await client.call(.get, "/api/threads/\(id)/messages", as: "user_b").status == 404)
            #expect(try await client.call(.patch, "/api/threads/\(id)", as: "user_b", body: #"{"title":"Mine"}"#).status == 404)
            #expect(try await client.call(.post, "/api/threads/\(id)/messages", as: "user_b", body: #"{"id":"x","role":"user","parts":[{"type":"text"}]}"#).status == 404)
            #expect(try await client.call(.get, "/api/threads", as: "user_b").json["data"]?.arrayCount == 0)
            #expect(try await client.call(.get, "/api/hatchery/graph", as: "user_b").json["data"]?["nodes"]?.arrayCount == 0)
            #expect(try await client.call(.get, "/api/audit", as: "user_b").json["data"]?.arrayCount == 0)
            #expect(try await client.call(.get, "/api/threads/\(id)", as: "user_a").json["data"]?["title"] == "Secret plans")

            // Approvals and the instance are per tenant too.
            _ = try await client.call(.post, "/api/admin/users/user_a/access", as: "admin", body: #"{"enabled":true}"#)
            let held = try await client.call(.post, "/api/openclaw/instance", as: "user_a")
            let approvalId = try #require(held.json["data"]?["approvalId"]?.stringValue)
            #expect(try await client.call(.get, "/api/approvals/\(approvalId)", as: "user_b").status == 404)
            #expect(try await client.call(.post, "/api/approvals/\(approvalId)/respond", as: "user_b", body: #"{"decision":"approved"}"#).status == 404)
            #expect(try await client.call(.post, "/api/openclaw/instance", as: "user_b", body: #"{"approvalId":"\#(approvalId)"}"#).status == 404)
            #expect(try await client.call(.get, "/api/approvals", as: "user_b").json["data"]?.arrayCount == 0)
            #expect(try await client.call(.get, "/api/openclaw/instance", as: "user_b").json["data"] == .null)
            #expect(try await client.call(.get, "/api/approvals/\(approvalId)", as: "user_a").json["data"]?["status"] == "pending")
        }
    }

    @Test("waitlist: join, then an admin approves, and access is allowed; admins grant credits")
    func waitlistAndAdmin() async throws {
        let gateway = try await TestGateway()
        try await gateway.run { client in
            let joined = try await client.call(.post, "/api/waitlist", body: #"{"email":"Ada@Example.com","source":"website"}"#)
            #expect(joined.json["data"] == ["id": "ada@example.com", "joined": true, "approved": false])
            #expect(try await client.call(.post, "/api/waitlist", body: #"{"email":"ada@example.com"}"#).json["data"]?["joined"] == false)
            #expect(try await client.call(.get, "/api/access").json["data"]?["allowed"] == false)

            #expect(try await client.call(.post, "/api/admin/waitlist/ada%40example.com/approval", body: #"{"approved":true}"#).status == 403)
            let approved = try await client.call(.post, "/api/admin/waitlist/ada%40example.com/approval", as: "admin", body: #"{"approved":true}"#)
            #expect(approved.json["data"] == ["email": "ada@example.com", "approved": true])
            let access = try await client.call(.get, "/api/access").json["data"]
            #expect(access?["allowed"] == true)
            #expect(access?["waitlistApproved"] == true)
            #expect(access?["user"]?["email"] == "ada@example.com")

            let enabled = try await client.call(.post, "/api/admin/users/user_b/access", as: "admin", body: #"{"enabled":true}"#)
            #expect(enabled.json["data"] == ["user_id": "user_b", "access_enabled": true])
            #expect(try await client.call(.get, "/api/access", as: "user_b").json["data"]?["userAccess"] == true)
            let users = try await client.call(.get, "/api/admin/users", as: "admin").json["data"]
            #expect(users?.arrayCount == 2)
            #expect(try await client.call(.get, "/api/admin/waitlist", as: "admin").json["data"]?.arrayCount == 1)

            let grant = try await client.call(.post, "/api/admin/credits/grant", as: "admin",
                                              body: #"{"userId":"user_a","amountMicros":2500000,"reason":"welcome"}"#)
            #expect(grant.status == 200)
            #expect(grant.json["data"]?["balance_micros"] == 2_500_000)
            let summary = try await client.call(.get, "/api/billing/summary").json["data"]
            #expect(summary?["balance_usd"] == .double(2.5))
            // The original route answers exactly its two members, balance_usd a JSON number written from the micros.
            let original = try await client.execute(uri: "/api/openclaw/billing/summary", method: .get, headers: headers("user_a"))
            #expect(String(buffer: original.body).contains(#""data":{"balance_usd":2.5,"user_id":"user_a"}"#), "\(String(buffer: original.body))")
            #expect(summary?["user_id"] == "user_a")
            let audit = try await client.call(.get, "/api/audit?kind=credit").json["data"]
            #expect(audit?[index: 0]?["actor"] == "admin")
            #expect(audit?[index: 0]?["amountMicros"] == 2_500_000)
            #expect(try await client.call(.post, "/api/admin/credits/grant", as: "admin",
                                          body: #"{"userId":"user_a","amountMicros":-5,"reason":"x"}"#).status == 400)
        }
    }

    @Test("the OpenAPI document lists every route the server answers, and metrics count requests")
    func openAPIAndMetrics() async throws {
        let gateway = try await TestGateway()
        try await gateway.run { client in
            let document = try await client.call(.get, "/api/openapi.json").json
            #expect(document["openapi"] == "3.1.0")
            let paths = try #require(document["paths"]?.objectValue)
            // OpenAPI paths start with a slash and name their parameters in braces; each operation
            // says what it takes (schemathesis checks the server against them: see docs/api.md).
            let append = try #require(paths["/api/threads/{id}/messages"]?["post"])
            #expect(append["requestBody"]?["required"] == true)
            #expect(append["requestBody"]?["content"]?["application/json"]?["schema"]?["required"] == ["id", "role", "parts"])
            guard case .array(let listing)? = paths["/api/threads"]?["get"]?["parameters"] else { Issue.record("no parameters"); return }
            #expect(listing.compactMap { $0["name"]?.stringValue }.sorted() == ["archived", "limit"])
            #expect(paths["/api/openclaw/runtime/restart"]?["post"]?["requestBody"]?["required"] == false)
            // The original routes state what their answers hold: exactly the original members.
            func data(_ path: String, _ method: String, _ status: String = "200") -> JSONValue? {
                paths[path]?[method]?["responses"]?[status]?["content"]?["application/json"]?["schema"]?["allOf"]?[index: 1]?["properties"]?["data"]
            }
            let billing = try #require(data("/api/openclaw/billing/summary", "get"))
            #expect(billing["required"] == ["balance_usd", "user_id"])
            #expect(billing["properties"]?["balance_usd"]?["type"] == "number")
            #expect(billing["additionalProperties"] == false)
            #expect(data("/api/openclaw/instance", "get")?["oneOf"]?[index: 1] == ["type": "null"])
            let restart = try #require(data("/api/openclaw/runtime/restart", "post", "2XX"))
            #expect(restart["oneOf"]?[index: 1]?["properties"]?["status"]?["enum"] == ["approval_required", "approval_pending", "approval_rejected"])
            for route in gateway.services.routes.all {
                let path = route.path.replacing(/:([A-Za-z]+)/) { "{\($0.1)}" }
                #expect(paths[path]?[route.method.rawValue.lowercased()] != nil, "\(route.method) \(route.path)")
            }
            #expect(paths.values.reduce(0) { $0 + ($1.objectValue?.count ?? 0) } == gateway.services.routes.all.count)
            _ = try await client.call(.get, "/api/threads")
            _ = try await client.call(.post, "/api/threads", body: #"{"title":"counted"}"#)
            let metrics = String(buffer: try await client.execute(uri: "/api/metrics", method: .get).body)
            #expect(metrics.contains(#"clawcloud_http_requests_total{method="GET",route="/api/threads",status="200"} 1"#))
            #expect(metrics.contains("clawcloud_stream_subscribers 0"))
            // The thread's commit went through the journal: one record, at least one flush.
            #expect(metrics.contains("clawcloud_journal_records_total 1\n"))
            #expect(!metrics.contains("clawcloud_journal_flushes_total 0\n"))
        }
    }

    @Test("no secret reaches a response, an event or a log line")
    func secrets() async throws {
        let gateway = try await TestGateway()
        let stores = gateway.services.stores
        let logs = gateway.logs
        try await gateway.run { client in
            var bodies = ""
            bodies += "\(try await client.call(.post, "/api/threads", body: #"{"title":"x"}"#).json)"
            bodies += "\(try await client.call(.get, "/api/threads", key: "wrong").json)"
            bodies += "\(try await client.call(.get, "/api/openapi.json").json)"
            bodies += String(buffer: try await client.execute(uri: "/api/metrics", method: .get).body)
            #expect(!bodies.contains(TestGateway.internalKey))
            #expect(!bodies.contains(TestGateway.serviceToken))
            let exported = try await stores.withTenant(TenantID("user_a")) { store in
                var exported = Data()
                try await store.exportJSONL { exported.append($0) }
                return String(decoding: exported, as: UTF8.self)
            }
            #expect(exported.contains("thread.created"))
            #expect(!exported.contains(TestGateway.internalKey))
        }
        #expect(!logs.all.isEmpty)
        for line in logs.all {
            #expect(!line.contains(TestGateway.internalKey))
            #expect(!line.contains(TestGateway.serviceToken))
        }
    }
}

extension JSONValue {
    var arrayCount: Int? {
        if case .array(let elements) = self { return elements.count }
        return nil
    }

    subscript(index index: Int) -> JSONValue? {
        if case .array(let elements) = self, elements.indices.contains(index) { return elements[index] }
        return nil
    }
}

@Suite("Stream cache")
struct StreamCacheTests {
    /// The state of `credits` in `store` as a command on its writer folds it.
    static func foldOnWriter(_ cache: StreamCache, _ store: EventStore) async throws -> any FoldedStream {
        let folded = Mutex<(any FoldedStream)?>(nil)
        try await store.append { log in
            let fold = try cache.fold(.stream("credits", as: CreditsDecider.self), in: store, log: log)
            folded.withLock { $0 = fold }
            return WriterDecision(parts: [])
        }
        return try #require(folded.withLock { $0 })
    }

    @Test("commands on one stream at once are decided one after another on the store's writer: none conflicts, none is lost")
    func concurrentCommandsOnOneStream() async throws {
        let gateway = try await TestGateway()
        try await gateway.run { client in
            let thread = try await client.call(.post, "/api/threads", body: #"{"title":"busy"}"#).json["data"]?["id"]?.stringValue
            let id = try #require(thread)
            let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                for index in 0..<40 {
                    group.addTask {
                        [try await client.call(.post, "/api/admin/credits/grant", as: "admin", body: #"{"userId":"user_a","amountMicros":\#(index + 1),"reason":"r\#(index)"}"#).status,
                         try await client.call(.post, "/api/threads/\(id)/messages", body: #"{"id":"m\#(index)","role":"user","parts":[{"type":"text","text":"\#(index)"}]}"#).status]
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 201 }, "\(statuses)")
            #expect(try await client.call(.get, "/api/billing/summary").json["data"]?["balance_micros"] == .integer((1...40).reduce(0, +)))
            #expect(try await client.call(.get, "/api/threads/\(id)/messages").json["data"]?.arrayCount == 40)
            let store = try await gateway.services.stores.withTenant(.init("user_a")) { $0 }
            #expect(try await store.readStream("credits").map(\.streamVersion) == Array(1...40))
        }
    }

    @Test("streams of the same name in two stores are cached apart, and a stale entry is caught by the log")
    func perStore() async throws {
        let gateway = try await TestGateway()
        try await gateway.run { client in
            _ = try await client.call(.post, "/api/admin/credits/grant", as: "admin", body: #"{"userId":"user_a","amountMicros":7,"reason":"a"}"#)
            let stores = gateway.services.stores
            let cache = gateway.services.streamCache
            let a = try await stores.withTenant(.init("user_a")) { try await Self.foldOnWriter(cache, $0) }
            let b = try await stores.withTenant(.init("user_b")) { try await Self.foldOnWriter(cache, $0) }
            #expect(a.version == 1)
            #expect(b.version == 0)
            let state = try #require(a as? Folded<CreditsDecider>).state
            #expect(state.balance == 7)
            // A write that bypasses the cache: the next command still sees it (the fold on the writer checks the log's version).
            try await stores.withTenant(.init("user_a")) { store in
                let event = try CreditsDecider.decide(.grant(grantId: "g2", amountMicros: 5, reason: "b"), state,
                                                      DecisionContext(actor: "admin", tenant: "user_a", now: 0))[0]
                try await store.append([.init(type: event.type, data: event.data())], to: event.stream, expecting: .exact(1))
            }
            _ = try await client.call(.post, "/api/admin/credits/grant", as: "admin", body: #"{"userId":"user_a","amountMicros":1,"reason":"c"}"#)
            #expect(try await client.call(.get, "/api/billing/summary").json["data"]?["balance_micros"] == 13)
            // Commands keep the cached state current: it equals the fold of the whole stream.
            for index in 0..<3 {
                _ = try await client.call(.post, "/api/admin/credits/grant", as: "admin", body: #"{"userId":"user_a","amountMicros":2,"reason":"r\#(index)"}"#)
            }
            try await stores.withTenant(.init("user_a")) { store in
                // What commands left in the cache, not read again from the log.
                let cached = try #require(cache.cached(.stream("credits", as: CreditsDecider.self), in: store))
                let logged = try await store.readStream("credits", from: 1).map(DomainEvent.init)
                #expect(cached.version == 6)
                #expect(try #require(cached as? Folded<CreditsDecider>).state == CreditsDecider.fold(logged))
            }
        }
    }
}
