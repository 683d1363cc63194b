import Crypto
import Domain
import EventStore
import Foundation
import Projections

/// Agent principals' API keys: made at signup (`oa_agent_` and 32 random bytes in hex), kept only
/// as an HMAC-SHA256 under a key derived (HKDF) from `CLAWCLOUD_ENCRYPTION_KEY`, looked up by that
/// HMAC in the platform store's `admin` view. A key authenticates the tenant
/// `agent:<agentUserId>` until it is revoked.
struct AgentKeys: Sendable {
    private let hmacKey: Data
    let stores: Stores

    init(encryptionKey: Data, stores: Stores) {
        hmacKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: encryptionKey), info: Data("clawcloud agent keys".utf8), outputByteCount: 32)
            .withUnsafeBytes { Data($0) }
        self.stores = stores
    }

    /// The HMAC a key is recorded and looked up by (hex).
    func hash(_ key: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(key.utf8), using: SymmetricKey(data: hmacKey)).map { String(format: "%02x", $0) }.joined()
    }

    /// A fresh key, agent id and key id.
    static func mint() -> (key: String, agentUserId: String, keyId: String) {
        func random(_ count: Int) -> String {
            SymmetricKey(size: .init(bitCount: count * 8)).withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
        }
        return ("oa_agent_\(random(32))", "ag_\(random(12))", "key_\(random(12))")
    }

    /// The agent a presented key authenticates. Unknown or revoked → 401 `invalid or revoked agent
    /// key`; a use is recorded once a day per key, a revoked key's refusal likewise.
    func authenticate(_ key: String, requestID: String, services: Services) async throws -> TenantID {
        let platform = stores.platform
        let hash = self.hash(key)
        guard let record = try await platform.read({ db in try platform.projector.agentKey(db, hash: hash) }) else {
            throw APIError(.unauthorized, "invalid or revoked agent key")
        }
        guard let tenant = try? TenantID("agent:\(record.agentUserId)") else { throw APIError(.unauthorized, "invalid or revoked agent key") }
        let day = String(Date().formatted(.iso8601).prefix(10))
        let stream = Streams.agent(record.agentUserId)
        if record.revoked {
            _ = try? await services.bus(platform, tenant: tenant, actor: "system", requestID: requestID)
                .run(AgentKeyDecider.self, .recordRefusal(agentUserId: record.agentUserId, keyId: record.keyId, day: day), on: stream)
            throw APIError(.unauthorized, "invalid or revoked agent key")
        }
        if record.lastUsedDay != day {
            _ = try? await services.bus(platform, tenant: tenant, actor: tenant.rawValue, requestID: requestID)
                .run(AgentKeyDecider.self, .recordUse(agentUserId: record.agentUserId, keyId: record.keyId, day: day), on: stream)
        }
        return tenant
    }
}
