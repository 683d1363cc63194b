import Domain
import EventStore
import Foundation
import Hummingbird
import Projections

/// `/api/admin/…`: users and their access, the waitlist, and credit grants (callers listed in
/// `CLAWCLOUD_ADMIN_USER_IDS` only).
extension API {
    func addAdminRoutes() {
        let services = services
        route(.get, "users", "Every user with their access flag, newest first.") { _, _ in
            Envelope.ok(try await services.platformRows("users"))
        }

        route(.get, "waitlist", "The waitlist with approval state, newest first.") { _, _ in
            Envelope.ok(try await services.platformRows("waitlist"))
        }

        route(.post, "users/:userId/access", "Enable or disable a user's access {enabled}.", write: true,
              accepts: RequestShape(path: ["userId": Schema.tenantID], body: Schema.object(["enabled": Schema.boolean], required: ["enabled"]))) { request, context in
            let userId = try context.pathParameter("userId")
            guard (try? TenantID(userId)) != nil else { throw APIError.badRequest("userId is not a valid user id") }
            let body = try await request.json(AccessChange.self, limit: services.configuration.bodyLimit)
            let outcome = try await services.command(AccessDecider.self, .setAccess(userId: userId, enabled: body.enabled), on: Streams.access(userId),
                                                      in: services.stores.platform, request, context)
            return Envelope.ok(["user_id": .string(userId), "access_enabled": .bool(body.enabled)], position: outcome.position)
        }

        route(.post, "waitlist/:email/approval", "Approve or revoke a waitlist entry {approved}.", write: true,
              accepts: RequestShape(path: ["email": Schema.emailInPath], body: Schema.object(["approved": Schema.boolean], required: ["approved"]))) { request, context in
            let email = try AccessDecider.normalizedEmail(try context.pathParameter("email"))
            let body = try await request.json(WaitlistApproval.self, limit: services.configuration.bodyLimit)
            let outcome = try await services.command(AccessDecider.self, .setWaitlistApproval(email: email, approved: body.approved),
                                                      on: Streams.waitlist(email), in: services.stores.platform, request, context)
            return Envelope.ok(["email": .string(email), "approved": .bool(body.approved)], position: outcome.position)
        }

        let grant = Schema.object(["userId": Schema.tenantID, "amountMicros": Schema.integer(1...CreditsDecider.maxGrant), "reason": Schema.text()],
                                  required: ["userId", "amountMicros", "reason"])
        route(.post, "credits/grant", "Grant credits to a user {userId, amountMicros, reason}.", write: true, accepts: RequestShape(body: grant)) { request, context in
            let body = try await request.json(CreditGrant.self, limit: services.configuration.bodyLimit)
            guard let user = try? TenantID(body.userId) else { throw APIError.badRequest("userId is not a valid user id") }
            let grantID = UUID.random().storedSpelling
            let admin = try context.requireTenant().rawValue
            return try await services.stores.withTenant(user) { store in
                var grantContext = context
                grantContext.tenant = user
                let outcome = try await services.command(CreditsDecider.self, .grant(grantId: grantID, amountMicros: body.amountMicros, reason: body.reason),
                                                         on: Streams.credits, in: store, request, grantContext, actor: admin)
                return Envelope.ok(try await services.billingSummary(user, store), position: outcome.position)
            }
        }
    }
}

extension Services {
    fileprivate func platformRows(_ collection: String) async throws -> JSONValue {
        let platform = self.stores.platform
        let rows = try await platform.read { db in try platform.projector.rows(db, "admin", collection, RowQuery(limit: 1_000)) }
        return .array(rows.map(\.json))
    }
}

private struct AccessChange: Decodable {
    var enabled: Bool
}

private struct WaitlistApproval: Decodable {
    var approved: Bool
}

private struct CreditGrant: Decodable {
    var userId: String
    var amountMicros: Int64
    var reason: String
}
