/// The tenant's one OpenClaw instance: lifecycle, observed runtime status, secrets and backups
/// (all on the `instance` stream).

/// The runtime gateway's own status, as the runtime reports it.
public enum GatewayStatus: String, Codable, Sendable { case running, starting, stopped, error }

public struct InstanceProvisionRequested: EventPayload {
    public static let type = "instance.provision_requested"
    public let instanceType: String
    public let approvalId: String
    /// The id the runtime knows the instance by (`x-oa-instance-id`), chosen here and used ever
    /// after; absent in events of earlier builds, whose instances use the tenant id.
    public var sandboxId: String? = nil
    public var stream: String { Streams.instance }
}

/// The instance is ready.
public struct InstanceProvisioned: EventPayload {
    public static let type = "instance.provisioned"
    public let runtimeName: String
    public var stream: String { Streams.instance }
}

public struct InstanceProvisionFailed: EventPayload {
    public static let type = "instance.provision_failed"
    public let reason: String
    public var stream: String { Streams.instance }
}

public struct InstanceStatusObserved: EventPayload {
    public static let type = "instance.status_observed"
    public let gateway: GatewayStatus
    public let version: [String: String]
    public let instanceType: String
    public var stream: String { Streams.instance }
}

public struct InstanceRestartRequested: EventPayload {
    public static let type = "instance.restart_requested"
    public let approvalId: String
    public var stream: String { Streams.instance }
}

public struct InstanceRestarted: EventPayload {
    public static let type = "instance.restarted"
    public let approvalId: String
    public var stream: String { Streams.instance }
}

public struct InstanceRestartFailed: EventPayload {
    public static let type = "instance.restart_failed"
    public let approvalId: String
    public let reason: String
    public var stream: String { Streams.instance }
}

public struct InstanceDeleted: EventPayload {
    public static let type = "instance.deleted"
    public let approvalId: String
    public var stream: String { Streams.instance }
}

/// A secret was stored or replaced. Only its name and a fingerprint (16 hex digits of a keyed
/// hash of the value) are recorded, never the secret.
public struct SecretRotated: EventPayload {
    public static let type = "secret.rotated"
    public let name: String
    public let fingerprint: String
    public var stream: String { Streams.instance }
}

/// A secret was removed (by name; its sealed value is deleted with it).
public struct SecretRemoved: EventPayload {
    public static let type = "secret.removed"
    public let name: String
    public var stream: String { Streams.instance }
}

public struct BackupRequested: EventPayload {
    public static let type = "backup.requested"
    public let backupId: String
    public var stream: String { Streams.instance }
}

public struct BackupTaken: EventPayload {
    public static let type = "backup.taken"
    public let backupId: String
    /// Always under `openclaw/<tenant>/`.
    public let objectKey: String
    /// Size and digest of the archive, when the runtime reports them (its backup call answers
    /// only the time).
    public let bytes: Int64?
    public let sha256: String?
    public let at: Millis
    /// True when the backup was observed on the runtime (its `lastBackup`), not answered.
    public var observed: Bool? = nil
    public var stream: String { Streams.instance }
}

public struct BackupFailed: EventPayload {
    public static let type = "backup.failed"
    public let backupId: String
    public let reason: String
    public var stream: String { Streams.instance }
}
