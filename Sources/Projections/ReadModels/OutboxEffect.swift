import Domain
import GRDB

/// A runtime side effect as the ``Outbox`` view holds it: what to call, and how far it got.
public struct OutboxEffect: Sendable, Equatable {
    public enum Status: String, Sendable { case pending, started, done }

    /// `approval:<id>`, `backup:<id>` or `exec:<id>`.
    public let id: String
    /// `provision`, `restart`, `stop`, `backup`, `approve_device`, `approve_pairing` or `resolve_exec`.
    public let kind: String
    public let status: Status
    public let approvalId: String?
    public let backupId: String?
    /// The device request, or the exec approval, the effect is about.
    public let requestId: String?
    public let deviceId: String?
    public let channel: String?
    public let code: String?
    public let notify: Bool
    /// An exec approval's decision.
    public let decision: String?
    /// When the open attempt was recorded (ms).
    public let startedAt: Millis?

    init?(_ row: Row) {
        guard let id = row.string("id"), let kind = row.string("kind"), let status = row.string("status").flatMap(Status.init(rawValue:)) else { return nil }
        self.id = id
        self.kind = kind
        self.status = status
        approvalId = row.string("approvalId")
        backupId = row.string("backupId")
        requestId = row.string("requestId")
        deviceId = row.string("deviceId")
        channel = row.string("channel")
        code = row.string("code")
        notify = row["notify"] == true
        decision = row.string("decision")
        startedAt = row["startedAt"]?.integerValue
    }
}

extension Projector {
    /// The effect `id`, if the log asked for one.
    public func effect(_ db: Database, id: String) throws -> OutboxEffect? {
        try row(db, "outbox", "effects", key: id).flatMap(OutboxEffect.init)
    }

    /// Effects not finished yet (pending or started), oldest first.
    public func openEffects(_ db: Database, limit: Int = 100) throws -> [OutboxEffect] {
        try rows(db, "outbox", "effects", RowQuery(scope: "pending", order: .ascending, limit: limit)).compactMap(OutboxEffect.init)
    }
}
