/// The tenant's credits (`credits`), in integer micro-USD. A charge above the spend limit, or one
/// that would take the balance below zero, needs a human approval; refunds never exceed what a
/// charge took.
public enum CreditsDecider: Decider {
    public struct Charge: Sendable, Equatable {
        public var amount: Micros
        public var refunded: Micros
    }

    public struct State: Sendable, Equatable {
        public var balance: Micros = 0
        public var spendLimit: Micros?
        public var charges: [String: Charge] = [:]
        public var grants: Set<String> = []
    }

    public enum Command: Sendable {
        case grant(grantId: String, amountMicros: Micros, reason: String)
        /// `approvalId` is set when the charge is released from a granted approval.
        case charge(chargeId: String, amountMicros: Micros, reason: ChargeReason, ref: String, approvalId: String?)
        case refund(chargeId: String, amountMicros: Micros, reason: String)
        case setSpendLimit(limitMicros: Micros?)
    }

    public static let initialState = State()

    /// The largest single grant: a billion dollars.
    public static let maxGrant: Micros = 1_000_000_000_000_000

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .grant(let grantId, let amount, let reason):
            try Check.identifier(grantId, "grantId")
            try Check.positive(amount, "amountMicros")
            guard amount <= maxGrant else { throw DomainError.invalid("amountMicros must be at most \(maxGrant)") }
            try Check.text(reason, "reason")
            if state.grants.contains(grantId) { return [] }
            guard state.balance.addingReportingOverflow(amount).overflow == false else { throw DomainError.conflict("the balance cannot hold this grant") }
            return [.creditsGranted(CreditsGranted(grantId: grantId, amountMicros: amount, reason: reason, by: context.actor))]
        case .charge(let chargeId, let amount, let reason, let ref, let approvalId):
            try Check.identifier(chargeId, "chargeId")
            try Check.positive(amount, "amountMicros")
            try Check.text(ref, "ref")
            if let existing = state.charges[chargeId] {
                if existing.amount == amount { return [] }
                throw DomainError.conflict("charge \(chargeId) already exists with another amount")
            }
            if approvalId == nil {
                if let limit = state.spendLimit, amount > limit {
                    throw DomainError.approvalRequired("\(Money.usd(amount)) is above the spend limit of \(Money.usd(limit))")
                }
                if amount > state.balance {
                    throw DomainError.approvalRequired("\(Money.usd(amount)) is more than the balance of \(Money.usd(state.balance))")
                }
            }
            return [.creditsCharged(CreditsCharged(chargeId: chargeId, amountMicros: amount, reason: reason, ref: ref, approvalId: approvalId))]
        case .refund(let chargeId, let amount, let reason):
            try Check.positive(amount, "amountMicros")
            try Check.text(reason, "reason")
            guard let charge = state.charges[chargeId] else { throw DomainError.notFound("no charge \(chargeId)") }
            guard amount <= charge.amount - charge.refunded else {
                throw DomainError.conflict("refund of \(Money.usd(amount)) exceeds the \(Money.usd(charge.amount - charge.refunded)) left of charge \(chargeId)")
            }
            return [.creditsRefunded(CreditsRefunded(chargeId: chargeId, amountMicros: amount, reason: reason, by: context.actor))]
        case .setSpendLimit(let limit):
            if let limit { guard limit >= 0 else { throw DomainError.invalid("limitMicros must not be negative") } }
            if state.spendLimit == limit { return [] }
            return [.spendLimitSet(SpendLimitSet(limitMicros: limit, by: context.actor))]
        }
    }

    public static func evolve(_ state: consuming State, _ event: DomainEvent) -> State {
        switch event {
        case .creditsGranted(let e): state.balance += e.amountMicros; state.grants.insert(e.grantId)
        case .creditsCharged(let e):
            state.balance -= e.amountMicros
            state.charges[e.chargeId] = Charge(amount: e.amountMicros, refunded: 0)
        case .creditsRefunded(let e):
            state.balance += e.amountMicros
            state.charges[e.chargeId]?.refunded += e.amountMicros
        case .spendLimitSet(let e): state.spendLimit = e.limitMicros
        default: break
        }
        return state
    }
}
