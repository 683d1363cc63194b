import Domain

/// The credit balance (micro-USD, and USD rounded to cents as text), totals granted, spent by
/// reason and refunded, the spend limit, and a daily series (UTC days).
public struct BillingSummary: Projection {
    public let name = "billing"
    public let version = 1
    public let collections = ["summary", "daily"]
    public init() {}

    public func apply(_ event: DomainEvent, _ context: EventContext, _ rows: ProjectionRows) throws {
        switch event {
        case .creditsGranted(let e):
            try summary(rows, context) { $0["grantedMicros"] = .integer($0.int("grantedMicros") + e.amountMicros) }
            try daily(rows, context, "grantedMicros", e.amountMicros)
        case .creditsCharged(let e):
            try summary(rows, context) { row in
                row["spentMicros"] = .integer(row.int("spentMicros") + e.amountMicros)
                var byReason: [String: JSONValue] = [:]
                if case .object(let members)? = row["spentByReason"] { byReason = members }
                let spent = byReason[e.reason.rawValue]?.integerValue ?? 0
                byReason[e.reason.rawValue] = JSONValue.integer(spent + e.amountMicros)
                row["spentByReason"] = .object(byReason)
            }
            try daily(rows, context, "spentMicros", e.amountMicros)
        case .creditsRefunded(let e):
            try summary(rows, context) { $0["refundedMicros"] = .integer($0.int("refundedMicros") + e.amountMicros) }
            try daily(rows, context, "refundedMicros", e.amountMicros)
        case .spendLimitSet(let e):
            try summary(rows, context) { $0["spendLimitMicros"] = json(e.limitMicros) }
        default: break
        }
    }

    private func summary(_ rows: ProjectionRows, _ context: EventContext, _ change: (inout Row) -> Void) throws {
        try rows.update("summary", "summary", initial: {
            ["grantedMicros": 0, "spentMicros": 0, "refundedMicros": 0, "spentByReason": [:], "spendLimitMicros": .null]
        }) { row in
            change(&row)
            let balance = row.int("grantedMicros") - row.int("spentMicros") + row.int("refundedMicros")
            row["balanceMicros"] = .integer(balance)
            row["balanceUsd"] = .string(String(Money.usd(balance).filter { $0 != "$" }))
            row["updatedAt"] = .integer(context.recordedAt)
        }
    }

    private func daily(_ rows: ProjectionRows, _ context: EventContext, _ field: String, _ amount: Micros) throws {
        let day = utcDay(context.recordedAt)
        try rows.update("daily", day, sort: context.recordedAt / 86_400_000, initial: {
            ["day": .string(day), "grantedMicros": 0, "spentMicros": 0, "refundedMicros": 0]
        }) { $0[field] = .integer($0.int(field) + amount) }
    }
}
