import Domain
import EventStore
import Hummingbird
import Projections

/// Every view a user reads, as pages, newest first: `?limit=1-500` (50 by default) and
/// `?before=<cursor of the last row read>` (each row's `cursor`: a time in ms, a position or a
/// day number), filtered where a user would filter.
extension API {
    func addReadRoutes() {
        page("runs", .runs, "Chat runs with their usage and cost (?status=running|completed|incomplete|failed).",
             filter: ("status", ["running", "completed", "incomplete", "failed"]),
             row: ["runId": ResponseShape.string, "sessionKey": ResponseShape.string, "model": ResponseShape.string, "status": ResponseShape.string,
                   "costMicros": ResponseShape.integer, "startedAt": ResponseShape.integer])
        page("tool-calls", .toolCalls, "A receipt per tool call (?status=invoked|completed|failed|unknown).",
             filter: ("status", ["invoked", "completed", "failed", "unknown"]),
             row: ["callId": ResponseShape.string, "tool": ResponseShape.string, "status": ResponseShape.string, "invokedAt": ResponseShape.integer])
        page("sessions", .sessions, "Sessions as observed, with their last activity and tokens.", filter: nil,
             row: ["key": ResponseShape.string, "kind": ResponseShape.string, "channel": ResponseShape.string, "updatedAt": ResponseShape.integer,
                   "totalTokens": ResponseShape.integer])
        page("devices", .devices, "Device pairing requests and paired devices (?status=pending|paired|rejected|expired|removed).",
             filter: ("status", ["pending", "paired", "rejected", "expired", "removed"]),
             row: ["requestId": ResponseShape.string, "deviceId": ResponseShape.string, "status": ResponseShape.string])
        page("dm-pairing", .dmPairing, "DM pairing codes (?channel=).", filter: ("channel", nil),
             row: ["channel": ResponseShape.string, "code": ResponseShape.string, "peer": ResponseShape.string, "status": ResponseShape.string])
        page("backups", .backups, "Backups (?status=requested|taken|failed).", filter: ("status", ["requested", "taken", "failed"]),
             row: ["backupId": ResponseShape.string, "status": ResponseShape.string, "requestedAt": ResponseShape.integer])
        page("billing/daily", .dailyCredits, "Credits granted, spent and refunded per UTC day.", filter: nil,
             row: ["day": ResponseShape.string, "grantedMicros": ResponseShape.integer, "spentMicros": ResponseShape.integer,
                   "refundedMicros": ResponseShape.integer])
    }

    /// `GET /api/admin/outbox?userId=&status=pending|done`: a tenant's runtime side effects (admin).
    func addOutboxRoute() {
        let services = services
        route(.get, "outbox", "A tenant's runtime side effects, newest first (?userId= required, ?status=pending|done, ?limit, ?before).",
              accepts: RequestShape(query: ["userId": Schema.tenantID, "status": Schema.choice(["pending", "done"]), "limit": Schema.integer(1...500),
                                            "before": Schema.integer(0...Int64.max)], requiredQuery: ["userId"]),
              answers: ["type": "array", "items": Self.rowSchema(["id": ResponseShape.string, "kind": ResponseShape.string, "status": ResponseShape.string])]) { request, _ in
            guard let user = request.uri.queryParameters.get("userId"), let tenant = try? TenantID(String(user)) else {
                throw APIError.badRequest("userId must be a tenant id")
            }
            let status = try request.queryChoice("status", ["pending", "done"])
            let limit = try request.queryInt("limit", in: 1...500) ?? 50
            let before = try request.queryInt("before", in: 0...Int.max).map(Int64.init)
            return try await services.stores.withTenant(tenant) { store in
                let rows = try await store.read { db in try store.projector.page(db, .outbox, scope: status, before: before, limit: limit) }
                return Envelope.ok(.array(rows.map(\.json)))
            }
        }
    }

    private func page(_ path: String, _ view: ReadableView, _ summary: String, filter: (name: String, values: [String]?)?, row: [String: JSONValue]) {
        let services = services
        var query: [String: JSONValue] = ["limit": Schema.integer(1...500), "before": Schema.integer(0...Int64.max)]
        if let filter { query[filter.name] = filter.values.map(Schema.choice) ?? Schema.channel }
        route(.get, path, summary + " Newest first; ?limit=1-500, ?before=<cursor of the last row read>.", accepts: RequestShape(query: query),
              answers: ["type": "array", "items": Self.rowSchema(row)]) { request, context in
            let scope = try Self.scope(request, filter)
            let limit = try request.queryInt("limit", in: 1...500) ?? 50
            let before = try request.queryInt("before", in: 0...Int.max).map(Int64.init)
            return try await services.stores.withTenant(context.requireTenant()) { store in
                let rows = try await store.read { db in try store.projector.page(db, view, scope: scope, before: before, limit: limit) }
                return Envelope.ok(.array(rows.map(\.json)))
            }
        }
    }

    /// The filter's value: one of its values, or a channel.
    private static func scope(_ request: Request, _ filter: (name: String, values: [String]?)?) throws -> String? {
        guard let filter else { return nil }
        if let values = filter.values { return try request.queryChoice(filter.name, values) }
        guard let value = request.uri.queryParameters.get(filter.name).map({ String($0) }) else { return nil }
        try DmPairingDecider.checkChannel(value)
        return value
    }

    private static func rowSchema(_ required: [String: JSONValue]) -> JSONValue {
        let members = required.merging(["cursor": ResponseShape.integer]) { mine, _ in mine }
        return ["type": "object", "properties": .object(members), "required": .array(members.keys.sorted().map(JSONValue.string))]
    }
}
