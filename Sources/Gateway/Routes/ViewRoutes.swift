import Domain
import EventStore
import Hummingbird
import Projections

/// Read-only views: the Hatchery graph, the audit log and the billing summary (the original
/// route's shape, and ClawCloud's fuller one).
extension API {
    func addViewRoutes() {
        let services = services
        route(.get, "hatchery/graph", "The Hatchery canvas: {nodes, edges}.") { _, context in
            try await services.stores.withTenant(context.requireTenant()) { store in
                let (nodes, edges) = try await store.read { db in
                    (try store.projector.rows(db, "hatchery", "nodes", RowQuery(order: .ascending, limit: 1_000)),
                     try store.projector.rows(db, "hatchery", "edges", RowQuery(order: .ascending, limit: 1_000)))
                }
                return Envelope.ok(["nodes": .array(nodes.map(\.json)), "edges": .array(edges.map(\.json))])
            }
        }

        route(.get, "audit", "Approval decisions and money movements, newest first (?kind=approval|spend|credit, ?limit=1-500, ?before=position).",
              accepts: RequestShape(query: ["kind": Schema.choice(["approval", "spend", "credit"]), "limit": Schema.integer(1...500),
                                            "before": Schema.integer(1...Int64.max)])) { request, context in
            let kind = try request.queryChoice("kind", ["approval", "spend", "credit"])
            let limit = try request.queryInt("limit", in: 1...500) ?? 100
            let before = try request.queryInt("before", in: 1...Int.max)
            return try await services.stores.withTenant(context.requireTenant()) { store in
                let rows = try await store.read { db in
                    try store.projector.rows(db, "audit", "entries", RowQuery(scope: kind, limit: limit, after: before.map(Int64.init)))
                }
                return Envelope.ok(.array(rows.map(\.json)))
            }
        }

        route(.get, "openclaw/billing/summary", "The credit balance, as the original API answered it: {user_id, balance_usd} (a number, exact).",
              answers: ResponseShape.object(["user_id": ResponseShape.string, "balance_usd": ["type": "number"]])) { _, context in
            let tenant = try context.requireTenant()
            return try await services.stores.withTenant(tenant) { store in
                let summary = try await services.billingSummary(tenant, store)
                return Envelope.ok(["user_id": summary["user_id"] ?? .null, "balance_usd": summary["balance_usd"] ?? .null])
            }
        }

        route(.get, "billing/summary", "The credit balance in full: {user_id, balance_micros, balance_usd, granted_micros, spent_micros, refunded_micros, spend_limit_micros, spent_by_reason}.") { _, context in
            let tenant = try context.requireTenant()
            return try await services.stores.withTenant(tenant) { store in Envelope.ok(try await services.billingSummary(tenant, store)) }
        }
    }
}

extension Services {
    /// `{user_id, balance_micros, balance_usd (a JSON number written exactly from the micros), granted, spent, refunded, limit}`.
    func billingSummary(_ tenant: TenantID, _ store: EventStore) async throws -> JSONValue {
        let row = try await store.read { db in try store.projector.row(db, "billing", "summary", key: "summary") }
        let balance = row?["balanceMicros"]?.integerValue ?? 0
        return [
            "user_id": .string(tenant.rawValue), "balance_micros": .integer(balance), "balance_usd": Money.usdNumber(balance),
            "granted_micros": row?["grantedMicros"] ?? 0, "spent_micros": row?["spentMicros"] ?? 0,
            "refunded_micros": row?["refundedMicros"] ?? 0, "spend_limit_micros": row?["spendLimitMicros"] ?? .null,
            "spent_by_reason": row?["spentByReason"] ?? [:],
        ]
    }
}
