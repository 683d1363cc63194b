import Domain

/// Platform view for admins: users with their access flags, and the waitlist with approval state.
///
/// Version 2: a user who registers after an admin set their access keeps that access (version 1
/// overwrote it). Version 3: agent keys — `agent_keys` (by key id: whose, issued, revoked, last
/// used, refused; never the key) and `agent_key_hashes` (the key's HMAC → key id, for auth).
public struct AdminDirectory: Projection {
    public let name = "admin"
    public let version = 3
    public let collections = ["users", "waitlist", "agent_keys", "agent_key_hashes"]
    public init() {}

    public func apply(_ event: DomainEvent, _ context: EventContext, _ rows: ProjectionRows) throws {
        let at = context.recordedAt
        switch event {
        case .userRegistered(let e):
            // Access may have been set before the user registered: keep it.
            let created = try rows.row("users", e.userId)?.int("createdAt") ?? at
            try rows.update("users", e.userId, sort: created, initial: {
                ["accessEnabled": false, "accessUpdatedAt": .null, "accessUpdatedBy": .null, "createdAt": .integer(at)]
            }) { row in
                row["userId"] = .string(e.userId); row["kind"] = .string(e.kind.rawValue)
                row["email"] = json(e.email); row["name"] = json(e.name)
            }
        case .accessEnabled(let e):
            try access(e.userId, true, by: e.by, at, rows)
        case .accessDisabled(let e):
            try access(e.userId, false, by: e.by, at, rows)
        case .waitlistJoined(let e):
            rows.put("waitlist", e.email, [
                "email": .string(e.email), "source": .string(e.source), "createdAt": .integer(at), "approved": false,
                "approvedAt": .null, "approvedBy": .null,
            ], scope: "waiting", sort: at)
        case .waitlistApproved(let e):
            try rows.updateExisting("waitlist", e.email, scope: "approved") { row in
                row["approved"] = true; row["approvedAt"] = .integer(at); row["approvedBy"] = .string(e.by)
            }
        case .waitlistRevoked(let e):
            try rows.updateExisting("waitlist", e.email, scope: "waiting") { row in
                row["approved"] = false; row["approvedAt"] = .null; row["approvedBy"] = .null
            }
        case .agentKeyIssued(let e):
            rows.put("agent_keys", e.keyId, [
                "keyId": .string(e.keyId), "agentUserId": .string(e.agentUserId), "handle": json(e.handle), "ownerUserId": json(e.ownerUserId),
                "scopes": json(e.scopes), "issuedAt": .integer(at), "revokedAt": .null, "revokedBy": .null, "lastUsedDay": .null,
                "lastRefusedDay": .null,
            ], scope: "active", sort: at)
            rows.put("agent_key_hashes", e.keyHash, ["keyId": .string(e.keyId), "agentUserId": .string(e.agentUserId)], sort: at)
        case .agentKeyRevoked(let e):
            try rows.updateExisting("agent_keys", e.keyId, scope: "revoked") { row in
                row["revokedAt"] = .integer(at); row["revokedBy"] = .string(e.by)
            }
        case .agentKeyUsed(let e):
            try rows.updateExisting("agent_keys", e.keyId) { $0["lastUsedDay"] = .string(e.day) }
        case .agentKeyRefused(let e):
            try rows.updateExisting("agent_keys", e.keyId) { $0["lastRefusedDay"] = .string(e.day) }
        default: break
        }
    }

    /// Access can be set before the user first signs in: the row is created then. Users stay
    /// sorted by when their row was created.
    private func access(_ userId: String, _ enabled: Bool, by: String, _ at: Millis, _ rows: ProjectionRows) throws {
        let created = try rows.row("users", userId)?.int("createdAt") ?? at
        try rows.update("users", userId, sort: created, initial: {
            ["userId": .string(userId), "kind": "human", "email": .null, "name": .null, "createdAt": .integer(at)]
        }) { row in
            row["accessEnabled"] = .bool(enabled); row["accessUpdatedAt"] = .integer(at); row["accessUpdatedBy"] = .string(by)
        }
    }
}
