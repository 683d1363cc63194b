import Domain
import EventStore
import Foundation
@testable import Gateway
import GRDB
import HummingbirdTesting
import NIOCore
import RuntimeSimulator
import Testing

@Suite("Tenant secrets")
struct SecretTests {
    static let key = Data((0..<32).map { UInt8($0 * 7 % 256) })
    static let value = "sk-test-PROVIDER-KEY-5f4dcc3b5aa765d61d8327deb882cf99"

    @Test("a provider key is sealed at rest, listed without its value, and never logged or recorded")
    func sealedAndListed() async throws {
        let gateway = try await TestGateway { $0.encryptionKey = Self.key }
        let directory = gateway.directory
        let logs = gateway.logs
        try await gateway.run { client in
            let stored = try await client.call(.put, "/api/openclaw/instance/secrets/openai_api_key", body: #"{"value":"\#(Self.value)"}"#)
            #expect(stored.status == 200, "\(stored.json)")
            let fingerprint = try #require(stored.json["data"]?["fingerprint"]?.stringValue)
            #expect(fingerprint.count == 16 && fingerprint.allSatisfy(\.isHexDigit))
            #expect(stored.json["position"]?.integerValue == 1)

            let listed = try await client.call(.get, "/api/openclaw/instance/secrets")
            #expect(listed.json["data"]?["secrets"]?[index: 0]?["name"] == "openai_api_key")
            #expect(listed.json["data"]?["secrets"]?[index: 0]?["fingerprint"] == .string(fingerprint))
            #expect(try await client.call(.get, "/api/openclaw/instance/secrets", as: "user_b").json["data"]?["secrets"]?.arrayCount == 0)

            // Bad input writes nothing.
            #expect(try await client.call(.put, "/api/openclaw/instance/secrets/aws_root_key", body: #"{"value":"x"}"#).status == 400)
            #expect(try await client.call(.put, "/api/openclaw/instance/secrets/openai_api_key", body: #"{"value":"  "}"#).status == 400)
            #expect(try await client.call(.put, "/api/openclaw/instance/secrets/openai_api_key", body: #"{"secret":"x"}"#).status == 400)
            // The same value twice: the same fingerprint.
            let again = try await client.call(.put, "/api/openclaw/instance/secrets/openai_api_key", body: #"{"value":"\#(Self.value)"}"#)
            #expect(again.json["data"]?["fingerprint"] == .string(fingerprint))
            #expect(again.json["position"]?.integerValue == 2)

            // Another value replaces the first, whose sealed copy is pruned; removing the secret deletes its value.
            let replaced = try await client.call(.put, "/api/openclaw/instance/secrets/openai_api_key", body: #"{"value":"\#(Self.value)-2"}"#)
            #expect(replaced.json["data"]?["fingerprint"] != .string(fingerprint))
            #expect(try await Self.sealedCount(gateway, "user_a") == 1)
            let removed = try await client.call(.delete, "/api/openclaw/instance/secrets/openai_api_key")
            #expect(removed.status == 200 && removed.json["data"]?["removed"] == true)
            #expect(try await client.call(.get, "/api/openclaw/instance/secrets").json["data"]?["secrets"]?.arrayCount == 0)
            #expect(try await Self.sealedCount(gateway, "user_a") == 0)
            #expect(try await client.call(.delete, "/api/openclaw/instance/secrets/openai_api_key").status == 404)

            let exported = try await gateway.services.stores.withTenant(TenantID("user_a")) { store in
                var exported = Data()
                try await store.exportJSONL { exported.append($0) }
                return String(decoding: exported, as: UTF8.self)
            }
            #expect(exported.contains("secret.rotated") && exported.contains("secret.removed") && exported.contains(fingerprint))
            #expect(!exported.contains(Self.value))

            // Not in any file of the data directory: store files and their write-ahead logs.
            let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
            #expect(files.contains { $0.lastPathComponent.hasSuffix(".sqlite-wal") })
            for file in files {
                guard let bytes = try? Data(contentsOf: file) else { continue }
                #expect(bytes.range(of: Data(Self.value.utf8)) == nil, "\(file.lastPathComponent) holds the secret in plain text")
            }
        }
        for line in logs.all { #expect(!line.contains(Self.value)) }
    }

    /// How many sealed values the tenant's store holds.
    static func sealedCount(_ gateway: TestGateway, _ user: String) async throws -> Int {
        try await gateway.services.stores.withTenant(TenantID(user)) { store in
            try await store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM tenant_secrets") ?? -1 }
        }
    }

    @Test("without CLAWCLOUD_ENCRYPTION_KEY a secret is refused with 503 and nothing is written")
    func notConfigured() async throws {
        let gateway = try await TestGateway()
        try await gateway.run { client in
            let refused = try await client.call(.put, "/api/openclaw/instance/secrets/openai_api_key", body: #"{"value":"\#(Self.value)"}"#)
            #expect(refused.status == 503)
            #expect(refused.json["code"] == "not_configured")
            #expect(try await client.call(.get, "/api/openclaw/instance/secrets").json["data"]?["secrets"]?.arrayCount == 0)
        }
    }

    @Test("sealed values open only for their tenant and name, under their key")
    func binding() throws {
        let box = SecretBox(key: Self.key)
        let sealed = try box.seal(Self.value, tenant: "user_a", name: "openai_api_key")
        #expect(box.open(sealed, tenant: "user_a", name: "openai_api_key") == Self.value)
        #expect(box.open(sealed, tenant: "user_b", name: "openai_api_key") == nil)
        #expect(box.open(sealed, tenant: "user_a", name: "anthropic_api_key") == nil)
        #expect(SecretBox(key: Data(repeating: 1, count: 32)).open(sealed, tenant: "user_a", name: "openai_api_key") == nil)
        #expect(try box.seal(Self.value, tenant: "user_a", name: "openai_api_key") != sealed, "a fresh nonce each time")
        #expect(box.fingerprint(Self.value) == box.fingerprint(Self.value))
        #expect(box.fingerprint(Self.value) != SecretBox(key: Data(repeating: 1, count: 32)).fingerprint(Self.value))
    }

    @Test("a tenant's provider key goes, and only its own, on every runtime call that may start the gateway; it takes effect at the next start")
    func forwarded() async throws {
        try await withRuntime(configure: { $0.encryptionKey = Self.key }) { runtime, gateway, client in
            for user in ["user_a", "user_b"] {
                _ = try await client.call(.post, "/api/admin/users/\(user)/access", as: "admin", body: #"{"enabled":true}"#)
                #expect(try await client.approved(.post, "/api/openclaw/instance", as: user).status == 200)
            }
            let stored = try await client.call(.put, "/api/openclaw/instance/secrets/anthropic_api_key", body: #"{"value":"\#(Self.value)"}"#)
            #expect(stored.status == 200)
            // The running gateway started before the key was stored: the instance view says a restart would apply it.
            #expect(try await gateway.row("instance", "instance", "instance")?["keysPendingRestart"] == true)
            for user in ["user_a", "user_b"] {
                let invoked = try await client.call(.post, "/api/openclaw/tools/invoke", as: user, body: #"{"tool":"sessions_list"}"#)
                #expect(invoked.status == 200, "\(invoked.json)")
            }
            #expect(await runtime.keysInEffect(tenant: try await gateway.sandbox("user_a")).isEmpty)
            #expect(try await client.call(.post, "/api/openclaw/runtime/backup").status == 200)
            #expect(try await client.approved(.post, "/api/openclaw/runtime/restart").status == 200)
            #expect(try await client.call(.get, "/api/openclaw/runtime/status").status == 200)
            #expect(await runtime.keysInEffect(tenant: try await gateway.sandbox("user_a")) == ["x-openclaw-anthropic-key": Self.value])
            #expect(await runtime.keysInEffect(tenant: try await gateway.sandbox("user_b")).isEmpty)
            #expect(try await gateway.row("instance", "instance", "instance")?["keysPendingRestart"] == false)

            let keys = await runtime.providerKeys
            let calls = await runtime.calls
            let sandboxes = await runtime.callSandboxes
            let userA = try await gateway.sandbox("user_a")
            for index in calls.indices where sandboxes[index] != userA { #expect(keys[index].isEmpty, "\(calls[index])") }
            // Every call for user_a after the key was stored carries it, but backup and stop, which never start the gateway.
            let firstAfterKey = try #require(calls.indices.first { calls[$0] == "POST /v1/tools/invoke" && sandboxes[$0] == userA })
            for index in calls.indices where index >= firstAfterKey && sandboxes[index] == userA {
                let expected: [String: String] = ["POST /v1/storage/backup", "POST /v1/gateway/stop"].contains(calls[index]) ? [:] : ["x-openclaw-anthropic-key": Self.value]
                #expect(keys[index] == expected, "\(calls[index])")
            }

            // Deleting the instance (as its approval says) clears its secrets, sealed values too.
            #expect(try await client.approved(.delete, "/api/openclaw/instance").status == 200)
            #expect(try await client.call(.get, "/api/openclaw/instance/secrets").json["data"]?["secrets"]?.arrayCount == 0)
            #expect(try await Self.sealedCount(gateway, "user_a") == 0)
        }
    }
}
