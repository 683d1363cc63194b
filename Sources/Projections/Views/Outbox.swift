import Domain

/// Runtime side effects recorded and not yet finished — the outbox, derived from the log.
///
/// A side effect is recorded first (the event that asks for it), then each attempt
/// (`effect.started`, status `started`) before the runtime is called, then its outcome; the
/// outcome event closes the row. A row `pending` was never attempted, or its attempt provably did
/// not take effect (`effect.not_applied`): it may be performed. A row `started` with no outcome
/// may have reached the runtime: it is reconciled by observing the runtime, never called blindly.
///
/// Version 2: attempts (`status` started, `attempts`, `boot`, `startedAt`, `lastReason`), a
/// device approved outside ClawCloud opens no effect, and exec approval decisions are delivered.
///
/// | opened by | kind | closed by |
/// |---|---|---|
/// | `instance.provision_requested` | `provision` | `approval.executed` |
/// | `instance.restart_requested` | `restart` | `approval.executed` |
/// | `instance.deleted` | `stop` | `approval.executed` |
/// | `device.approved` | `approve_device` | `approval.executed` |
/// | `dm_pairing.approved` | `approve_pairing` | `approval.executed` |
/// | `backup.requested` | `backup` | `backup.taken`, `backup.failed` |
/// | `exec_approval.resolved` | `resolve_exec` | `exec_approval.delivered` |
public struct Outbox: Projection {
    public let name = "outbox"
    public let version = 2
    public let collections = ["effects"]
    public init() {}

    public func apply(_ event: DomainEvent, _ context: EventContext, _ rows: ProjectionRows) throws {
        let at = context.recordedAt
        func open(_ id: String, _ kind: String, _ fields: Row) {
            var row = fields
            row["id"] = .string(id)
            row["kind"] = .string(kind)
            row["status"] = "pending"
            row["requestedAt"] = .integer(at)
            rows.put("effects", id, row, scope: "pending", sort: context.position)
        }
        func close(_ id: String) throws {
            try rows.updateExisting("effects", id, scope: "done") { $0["status"] = "done"; $0["doneAt"] = .integer(at) }
        }
        switch event {
        case .instanceProvisionRequested(let e): open("approval:\(e.approvalId)", "provision", ["approvalId": .string(e.approvalId)])
        case .instanceRestartRequested(let e): open("approval:\(e.approvalId)", "restart", ["approvalId": .string(e.approvalId)])
        case .instanceDeleted(let e): open("approval:\(e.approvalId)", "stop", ["approvalId": .string(e.approvalId)])
        case .deviceApproved(let e):
            guard let approvalId = e.approvalId else { return }
            open("approval:\(approvalId)", "approve_device", [
                "approvalId": .string(approvalId), "requestId": .string(e.requestId), "deviceId": .string(e.deviceId),
            ])
        case .dmPairingApproved(let e):
            open("approval:\(e.approvalId)", "approve_pairing", [
                "approvalId": .string(e.approvalId), "channel": .string(e.channel), "code": .string(e.code), "notify": .bool(e.notify),
            ])
        case .approvalExecuted(let e): try close("approval:\(e.approvalId)")
        case .backupRequested(let e): open("backup:\(e.backupId)", "backup", ["backupId": .string(e.backupId)])
        case .backupTaken(let e): try close("backup:\(e.backupId)")
        case .backupFailed(let e): try close("backup:\(e.backupId)")
        case .execApprovalResolved(let e):
            open("exec:\(e.id)", "resolve_exec", ["requestId": .string(e.id), "decision": .string(e.decision.rawValue)])
        case .execApprovalDelivered(let e): try close("exec:\(e.id)")
        case .effectStarted(let e):
            try rows.updateExisting("effects", e.effectId) { row in
                row["status"] = "started"; row["attempts"] = .integer(e.attempt); row["boot"] = .string(e.boot); row["startedAt"] = .integer(at)
            }
        case .effectNotApplied(let e):
            try rows.updateExisting("effects", e.effectId) { row in row["status"] = "pending"; row["lastReason"] = .string(e.reason) }
        default: break
        }
    }
}
