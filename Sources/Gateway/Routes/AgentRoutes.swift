import Domain
import EventStore
import Foundation
import Hummingbird
import Projections

/// Agent principals, as the original API had them: `POST /api/agent/signup` (no credentials)
/// issues a key; the key authenticates `agent:<agentUserId>` on every tenant route
/// (`X-OA-Agent-Key` or `Authorization: Agent <key>`); `DELETE /api/agent/keys/:keyId` revokes
/// it (the agent itself, or an admin). Issuing, revoking, refusals and uses (once a day per key)
/// are events in the platform store; the key itself is never recorded, logged or answered again.
extension API {
    func addAgentSignupRoute() {
        let services = services
        let signup = Schema.object(["handle": Schema.text(max: 64), "owner_workos_user_id": Schema.identifier,
                                    "scopes": ["type": "array", "maxItems": 32, "items": Schema.identifier], "description": Schema.text(max: 1_000)])
        route(.post, "agent/signup", "Sign an agent principal up {handle?, owner_workos_user_id?, scopes?, description?}: {agentUserId, apiKey, keyId}. "
              + "The key is shown once (no Idempotency-Key: a retry would be another agent).", accepts: RequestShape(body: signup, bodyRequired: false),
              answers: ResponseShape.object(["agentUserId": ResponseShape.string, "apiKey": ResponseShape.string, "keyId": ResponseShape.string])) { request, context in
            guard let agents = services.agentKeys else {
                throw APIError(.serviceUnavailable, "CLAWCLOUD_ENCRYPTION_KEY is not configured: agent keys cannot be issued", code: "not_configured")
            }
            let body = try await request.optionalJSON(limit: services.configuration.bodyLimit)
            func text(_ name: String) throws -> String? {
                guard let value = body?[name], value != .null else { return nil }
                guard let text = value.stringValue else { throw APIError.badRequest("\(name) must be a string") }
                return text
            }
            let scopes: [String]
            if let value = body?["scopes"], value != .null {
                guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else { throw APIError.badRequest("scopes must be an array of strings") }
                scopes = items.compactMap(\.stringValue)
            } else {
                scopes = []
            }
            let (handle, owner, description) = (try text("handle"), try text("owner_workos_user_id"), try text("description"))
            let (key, agentUserId, keyId) = AgentKeys.mint()
            let tenant = try TenantID("agent:\(agentUserId)")
            let platform = services.stores.platform
            let access = Streams.access(tenant.rawValue), agent = Streams.agent(agentUserId)
            let outcome = try await services.bus(platform, tenant: tenant, actor: tenant.rawValue, requestID: context.requestID)
                .run(reading: [.stream(access, as: AccessDecider.self), .stream(agent, as: AgentKeyDecider.self)]) { states, decision in
                    try AgentKeyDecider.decide(.issue(agentUserId: agentUserId, keyId: keyId, keyHash: agents.hash(key), handle: handle, ownerUserId: owner,
                                                      scopes: scopes, description: description), states[agent, as: AgentKeyDecider.self], decision)
                        + AccessDecider.decide(.register(userId: tenant.rawValue, kind: .agent, email: nil, name: handle), states[access, as: AccessDecider.self], decision)
                }
            return Envelope.ok(["agentUserId": .string(agentUserId), "apiKey": .string(key), "keyId": .string(keyId)], position: outcome.position)
        }
    }

    func addAgentKeyRoutes() {
        let services = services
        route(.delete, "agent/keys/:keyId", "Revoke an agent key: by the agent it belongs to, or an admin.", write: true,
              accepts: RequestShape(path: ["keyId": Schema.identifierInPath])) { _, context in
            let keyId = try context.pathParameter("keyId")
            let tenant = try context.requireTenant()
            let platform = services.stores.platform
            guard let key = try await platform.read({ db in try platform.projector.agentKey(db, id: keyId) }),
                  context.isAdmin || tenant.rawValue == "agent:\(key.agentUserId)"
            else { throw APIError.notFound("no key \(keyId)") }
            let outcome = try await services.bus(platform, tenant: tenant, actor: tenant.rawValue, requestID: context.requestID)
                .run(AgentKeyDecider.self, .revoke(agentUserId: key.agentUserId, keyId: keyId), on: Streams.agent(key.agentUserId))
            return Envelope.ok(["keyId": .string(keyId), "revoked": true], position: outcome.position)
        }
    }
}
