import Domain

/// Every approval decision and every movement of money, with who, what, when, the amount, the
/// causation chain and the event's hash (so an entry can be checked against the log). Key = the
/// event position; scope `approval`, `spend` (charges and refunds) or `credit` (grants, limits).
public struct AuditLog: Projection {
    public let name = "audit"
    public let version = 1
    public let collections = ["entries"]
    public init() {}

    public func apply(_ event: DomainEvent, _ context: EventContext, _ rows: ProjectionRows) throws {
        let kind: String
        var fields: Row = [:]
        switch event {
        case .approvalRequested(let e):
            kind = "approval"
            fields = ["approvalId": .string(e.approvalId), "action": .string(e.toolName), "summary": .string(e.summary),
                      "amountMicros": json(e.costEstimateMicros), "by": .string(e.requestedBy)]
        case .approvalGranted(let e):
            kind = "approval"; fields = ["approvalId": .string(e.approvalId), "decision": "approved", "by": .string(e.by)]
        case .approvalDenied(let e):
            kind = "approval"; fields = ["approvalId": .string(e.approvalId), "decision": "rejected", "by": .string(e.by)]
        case .approvalExpired(let e):
            kind = "approval"; fields = ["approvalId": .string(e.approvalId), "decision": "expired"]
        case .approvalExecuted(let e):
            kind = "approval"; fields = ["approvalId": .string(e.approvalId), "outcome": .string(e.outcome.rawValue), "detail": json(e.detail)]
        case .execApprovalResolved(let e):
            kind = "approval"; fields = ["execApprovalId": .string(e.id), "decision": .string(e.decision.rawValue), "by": .string(e.by)]
        case .execApprovalExpired(let e):
            kind = "approval"; fields = ["execApprovalId": .string(e.id), "decision": "expired"]
        case .creditsCharged(let e):
            kind = "spend"
            fields = ["chargeId": .string(e.chargeId), "amountMicros": .integer(e.amountMicros), "reason": .string(e.reason.rawValue),
                      "ref": .string(e.ref), "approvalId": json(e.approvalId)]
        case .creditsRefunded(let e):
            kind = "spend"
            fields = ["chargeId": .string(e.chargeId), "amountMicros": .integer(-e.amountMicros), "reason": .string(e.reason), "by": .string(e.by)]
        case .creditsGranted(let e):
            kind = "credit"
            fields = ["grantId": .string(e.grantId), "amountMicros": .integer(e.amountMicros), "reason": .string(e.reason), "by": .string(e.by)]
        case .spendLimitSet(let e):
            kind = "credit"; fields = ["limitMicros": json(e.limitMicros), "by": .string(e.by)]
        default:
            return
        }
        let metadata = context.metadata
        var row = fields
        row["position"] = .integer(context.position)
        row["kind"] = .string(kind)
        row["type"] = .string(context.type)
        row["at"] = .integer(context.recordedAt)
        row["actor"] = metadata["actor"] ?? fields["by"] ?? .null
        row["causationId"] = metadata["causation_id"] ?? .null
        row["correlationId"] = metadata["correlation_id"] ?? .null
        row["hash"] = .string(context.hash.hex)
        rows.put("entries", paddedKey(context.position), row, scope: kind, sort: context.position)
    }
}
