import Domain

/// The instance: status (none/provisioning/ready/error/deleted), runtime name, gateway status,
/// version, instance type, last backup and last ready time; every backup; and the tenant's
/// secrets by name (fingerprint and when it was set — never a value).
///
/// Provider keys take effect only when the gateway starts: `keysPendingRestart` says whether the
/// tenant's keys changed after the running gateway was last seen to start (provisioned, restarted,
/// or observed running after it was not), so the website can offer a restart.
///
/// Version 2: the last error clears once the gateway is seen running again, restarts, or the
/// instance is deleted (version 1 kept showing it). Version 3: the `secrets` collection.
/// Version 4: `sandboxId`, `gatewayStartedAt`, `keysChangedAt`, `keysPendingRestart`.
public struct InstanceStatus: Projection {
    public let name = "instance"
    public let version = 4
    public let collections = ["instance", "backups", "secrets"]
    public init() {}

    public func apply(_ event: DomainEvent, _ context: EventContext, _ rows: ProjectionRows) throws {
        let at = context.recordedAt
        switch event {
        case .instanceProvisionRequested(let e):
            rows.put("instance", "instance", [
                "status": "provisioning", "runtimeName": .null, "instanceType": .string(e.instanceType), "gateway": .null,
                "version": [:], "lastBackupAt": .null, "lastBackupId": .null, "lastReadyAt": .null, "restartPending": false,
                "createdAt": .integer(at), "updatedAt": .integer(at), "error": .null, "sandboxId": json(e.sandboxId),
                "gatewayStartedAt": .null, "keysChangedAt": json(try rows.row("instance", "instance")?["keysChangedAt"]?.integerValue),
                "keysPendingRestart": false,
            ])
        case .instanceProvisioned(let e):
            try instance(rows, at) {
                $0["status"] = "ready"; $0["runtimeName"] = .string(e.runtimeName); $0["lastReadyAt"] = .integer(at)
                Self.started(&$0, at)
            }
        case .instanceProvisionFailed(let e):
            try instance(rows, at) { $0["status"] = "error"; $0["error"] = .string(e.reason) }
        case .instanceStatusObserved(let e):
            try instance(rows, at) { row in
                if e.gateway == .running, row["gateway"] != "running" { Self.started(&row, at) }
                row["gateway"] = .string(e.gateway.rawValue)
                row["version"] = .object(e.version.mapValues(JSONValue.string))
                row["instanceType"] = .string(e.instanceType)
                if e.gateway == .running { row["error"] = .null }
            }
        case .instanceRestartRequested:
            try instance(rows, at) { $0["restartPending"] = true }
        case .instanceRestarted:
            try instance(rows, at) { $0["restartPending"] = false; $0["lastReadyAt"] = .integer(at); $0["error"] = .null; Self.started(&$0, at) }
        case .instanceRestartFailed(let e):
            try instance(rows, at) { $0["restartPending"] = false; $0["error"] = .string(e.reason) }
        case .instanceDeleted:
            try instance(rows, at) {
                $0["status"] = "deleted"; $0["gateway"] = .null; $0["restartPending"] = false; $0["error"] = .null
            }
        case .backupRequested(let e):
            rows.put("backups", e.backupId, [
                "backupId": .string(e.backupId), "status": "requested", "requestedAt": .integer(at), "objectKey": .null,
                "bytes": .null, "sha256": .null, "takenAt": .null, "reason": .null,
            ], scope: "requested", sort: at)
        case .backupTaken(let e):
            try rows.updateExisting("backups", e.backupId, scope: "taken") { row in
                row["status"] = "taken"; row["objectKey"] = .string(e.objectKey); row["bytes"] = json(e.bytes)
                row["sha256"] = json(e.sha256); row["takenAt"] = .integer(e.at)
            }
            try instance(rows, at) { $0["lastBackupAt"] = .integer(e.at); $0["lastBackupId"] = .string(e.backupId) }
        case .backupFailed(let e):
            try rows.updateExisting("backups", e.backupId, scope: "failed") { $0["status"] = "failed"; $0["reason"] = .string(e.reason) }
        case .secretRotated(let e):
            rows.put("secrets", e.name, ["name": .string(e.name), "fingerprint": .string(e.fingerprint), "rotatedAt": .integer(at)], sort: at)
            try keysChanged(rows, at)
        case .secretRemoved(let e):
            rows.delete("secrets", e.name)
            try keysChanged(rows, at)
        default: break
        }
    }

    /// The gateway was seen to start at `at`: it runs with the keys stored then.
    private static func started(_ row: inout Row, _ at: Millis) {
        row["gatewayStartedAt"] = .integer(at)
        row["keysPendingRestart"] = false
    }

    private func keysChanged(_ rows: ProjectionRows, _ at: Millis) throws {
        guard let row = try rows.row("instance", "instance") else { return }
        let running = row["status"] == "ready" && row["gatewayStartedAt"]?.integerValue != nil
        try instance(rows, at) { $0["keysChangedAt"] = .integer(at); $0["keysPendingRestart"] = .bool(running) }
    }

    private func instance(_ rows: ProjectionRows, _ at: Millis, _ change: (inout Row) -> Void) throws {
        try rows.updateExisting("instance", "instance") { row in
            change(&row)
            row["updatedAt"] = .integer(at)
        }
    }
}
