import Domain
import EventStore
import Hummingbird
import Projections

/// `/api/access` and `/api/waitlist`: whether the caller may use OpenClaw Cloud, and joining
/// the waitlist (both in the platform store).
extension API {
    func addAccessRoutes() {
        let services = services
        route(.get, "access", "The caller's access: {allowed, reason, userAccess, waitlistApproved, user, waitlistEntry}.") { _, context in
            let tenant = try context.requireTenant()
            let (user, entry) = try await services.accessRows(tenant.rawValue)
            let userAccess = user?["accessEnabled"] == true
            let waitlistApproved = entry?["approved"] == true
            let allowed = userAccess || waitlistApproved
            return Envelope.ok([
                "allowed": .bool(allowed), "reason": allowed ? .null : "no_access", "userAccess": .bool(userAccess),
                "waitlistApproved": .bool(waitlistApproved),
                "user": user.map { ["user_id": .string(tenant.rawValue), "email": $0["email"] ?? .null] } ?? .null,
                "waitlistEntry": entry.map { entry in
                    ["email": entry["email"] ?? .null, "source": entry["source"] ?? .null, "created_at": entry["createdAt"] ?? .null,
                     "approved": entry["approved"] ?? false, "approved_at": entry["approvedAt"] ?? .null]
                } ?? .null,
            ])
        }

        route(.post, "waitlist", "Join the waitlist {email, source?} (idempotent by email).", write: true,
              accepts: RequestShape(body: Schema.object(["email": Schema.email, "source": Schema.text(max: 64)], required: ["email"]))) { request, context in
            let tenant = try context.requireTenant()
            let body = try await request.json(WaitlistRequest.self, limit: services.configuration.bodyLimit)
            let email = try AccessDecider.normalizedEmail(body.email)
            let user = Streams.access(tenant.rawValue)
            let waitlist = Streams.waitlist(email)
            let outcome = try await services.command(on: services.stores.platform, request, context, reading: [.stream(user, as: AccessDecider.self), .stream(waitlist, as: AccessDecider.self)]) { states, decision in
                let kind: PrincipalKind = tenant.rawValue.hasPrefix("agent:") ? .agent : .human
                return try AccessDecider.decide(.register(userId: tenant.rawValue, kind: kind, email: email, name: nil),
                                                states[user, as: AccessDecider.self], decision)
                    + AccessDecider.decide(.joinWaitlist(email: email, source: body.source), states[waitlist, as: AccessDecider.self], decision)
            }
            let entry = try await services.stores.platform.read { db in
                try services.stores.platform.projector.row(db, "admin", "waitlist", key: email)
            }
            let joined = outcome.events.contains { if case .waitlistJoined = $0 { true } else { false } }
            return Envelope.ok(["id": .string(email), "joined": .bool(joined), "approved": entry?["approved"] ?? false],
                               position: outcome.position)
        }
    }
}

extension Services {
    /// The user's admin row and their waitlist entry (by the email they registered with).
    func accessRows(_ userId: String) async throws -> (user: Row?, entry: Row?) {
        let platform = stores.platform
        return try await platform.read { db in
            let user = try platform.projector.row(db, "admin", "users", key: userId)
            let entry = try user?["email"]?.stringValue.flatMap { try platform.projector.row(db, "admin", "waitlist", key: $0) }
            return (user, entry)
        }
    }

    /// Whether the user may provision: their access flag or an approved waitlist entry.
    func accessStatus(_ userId: String) async throws -> AccessStatus {
        let (user, entry) = try await accessRows(userId)
        return AccessStatus(userAccess: user?["accessEnabled"] == true, waitlistApproved: entry?["approved"] == true)
    }
}

private struct WaitlistRequest: Decodable {
    var email: String
    var source: String?
}
