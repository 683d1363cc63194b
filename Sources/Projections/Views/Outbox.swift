import Domain

/// Runtime side effects recorded and not yet finished — the outbox, derived from the log.
///
/// A side effect is recorded first (the event that asks for it), then the runtime is called,
/// then its outcome is recorded; the outcome event closes the row. A row still `pending` after
/// a crash is called again, with the same idempotency key (its `id`).
///
/// | opened by | kind | closed by |
/// |---|---|---|
/// | `instance.provision_requested` | `provision` | `approval.executed` |
/// | `instance.restart_requested` | `restart` | `approval.executed` |
/// | `instance.deleted` | `stop` | `approval.executed` |
/// | `device.approved` | `approve_device` | `approval.executed` |
/// | `dm_pairing.approved` | `approve_pairing` | `approval.executed` |
/// | `backup.requested` | `backup` | `backup.taken`, `backup.failed` |
public struct Outbox: Projection {
    public let name = "outbox"
    public let version = 1
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
            open("approval:\(e.approvalId)", "approve_device", ["approvalId": .string(e.approvalId), "requestId": .string(e.requestId)])
        case .dmPairingApproved(let e):
            open("approval:\(e.approvalId)", "approve_pairing", [
                "approvalId": .string(e.approvalId), "channel": .string(e.channel), "code": .string(e.code), "notify": .bool(e.notify),
            ])
        case .approvalExecuted(let e): try close("approval:\(e.approvalId)")
        case .backupRequested(let e): open("backup:\(e.backupId)", "backup", ["backupId": .string(e.backupId)])
        case .backupTaken(let e): try close("backup:\(e.backupId)")
        case .backupFailed(let e): try close("backup:\(e.backupId)")
        default: break
        }
    }
}
