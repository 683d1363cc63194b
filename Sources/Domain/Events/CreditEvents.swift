/// The tenant's credit ledger (`credits`), in whole micro-USD.

public enum ChargeReason: String, Codable, Sendable, CaseIterable {
    case tokens, containerTime = "container_time", backupStorage = "backup_storage"
}

public struct CreditsGranted: EventPayload {
    public static let type = "credits.granted"
    public let grantId: String
    public let amountMicros: Micros
    public let reason: String
    public let by: String
    public var stream: String { Streams.credits }
}

public struct CreditsCharged: EventPayload {
    public static let type = "credits.charged"
    public let chargeId: String
    public let amountMicros: Micros
    public let reason: ChargeReason
    /// The event or object that caused the charge (a run id, a backup id, …).
    public let ref: String
    /// Set when the charge went over the spend limit or the balance and a human approved it.
    public let approvalId: String?
    public var stream: String { Streams.credits }
}

public struct CreditsRefunded: EventPayload {
    public static let type = "credits.refunded"
    public let chargeId: String
    public let amountMicros: Micros
    public let reason: String
    public let by: String
    public var stream: String { Streams.credits }
}

/// `limitMicros` nil removes the limit.
public struct SpendLimitSet: EventPayload {
    public static let type = "spend_limit.set"
    public let limitMicros: Micros?
    public let by: String
    public var stream: String { Streams.credits }
}
