import Domain
import GRDB

/// The tenant's instance as the ``InstanceStatus`` view holds it.
public struct InstanceRecord: Sendable, Equatable {
    /// `provisioning`, `ready`, `error` or `deleted`.
    public let status: String
    public let runtimeName: String?
    /// The id the runtime knows the instance by (nil for an instance of an earlier build).
    public let sandboxId: String?
    public let createdAt: Millis?
    public let updatedAt: Millis?
    public let lastReadyAt: Millis?

    init?(_ row: Row) {
        guard let status = row.string("status") else { return nil }
        self.status = status
        runtimeName = row.string("runtimeName")
        sandboxId = row.string("sandboxId")
        createdAt = row["createdAt"]?.integerValue
        updatedAt = row["updatedAt"]?.integerValue
        lastReadyAt = row["lastReadyAt"]?.integerValue
    }
}

/// A backup as the ``InstanceStatus`` view holds it.
public struct BackupRecord: Sendable, Equatable {
    /// `requested`, `taken` or `failed`.
    public let status: String
    public let takenAt: Millis?
    public let reason: String?

    init?(_ row: Row) {
        guard let status = row.string("status") else { return nil }
        self.status = status
        takenAt = row["takenAt"]?.integerValue
        reason = row.string("reason")
    }
}

extension Projector {
    /// The tenant's instance, if one was ever provisioned.
    public func instance(_ db: Database) throws -> InstanceRecord? {
        try row(db, "instance", "instance", key: "instance").flatMap(InstanceRecord.init)
    }

    public func backup(_ db: Database, id: String) throws -> BackupRecord? {
        try row(db, "instance", "backups", key: id).flatMap(BackupRecord.init)
    }
}
