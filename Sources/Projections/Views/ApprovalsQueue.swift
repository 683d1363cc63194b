import Domain

/// Held-command approvals (key = approval id) and exec approvals (key `exec:<id>`): scope
/// `pending` or `resolved`, sorted by request time; each with its summary, expiry and outcome (for
/// an exec approval, its `delivery` to the runtime).
public struct ApprovalsQueue: Projection {
    public let name = "approvals"
    /// Version 2: `by_input`, the approval a repeated gated call answers (its input digest → id)
    /// until a caller was given its outcome.
    public let version = 2
    public let collections = ["approvals", "by_input"]
    public init() {}

    public func apply(_ event: DomainEvent, _ context: EventContext, _ rows: ProjectionRows) throws {
        let at = context.recordedAt
        switch event {
        case .approvalRequested(let e):
            rows.put("approvals", e.approvalId, [
                "id": .string(e.approvalId), "kind": "held", "status": "pending", "summary": .string(e.summary),
                "toolName": .string(e.toolName), "toolInput": e.toolInput, "risk": .string(e.risk.rawValue),
                "costEstimateMicros": json(e.costEstimateMicros), "requestedBy": .string(e.requestedBy), "requestedAt": .integer(at),
                "expiresAt": .integer(e.expiresAt), "decision": .null, "resolvedBy": .null, "resolvedAt": .null, "outcome": .null,
                "inputDigest": json(e.inputDigest),
            ], scope: "pending", sort: at)
            if let digest = e.inputDigest { rows.put("by_input", digest, ["approvalId": .string(e.approvalId)], sort: at) }
        case .approvalAnswered(let e):
            guard let digest = try rows.row("approvals", e.approvalId)?.string("inputDigest") else { return }
            if try rows.row("by_input", digest)?.string("approvalId") == e.approvalId { rows.delete("by_input", digest) }
        case .approvalGranted(let e):
            try resolve(e.approvalId, status: "granted", decision: "approved", by: e.by, at, rows)
        case .approvalDenied(let e):
            try resolve(e.approvalId, status: "denied", decision: "rejected", by: e.by, at, rows)
        case .approvalExpired(let e):
            try resolve(e.approvalId, status: "expired", decision: nil, by: nil, at, rows)
        case .approvalExecuted(let e):
            try rows.updateExisting("approvals", e.approvalId) { row in
                row["status"] = "executed"
                row["outcome"] = ["result": .string(e.outcome.rawValue), "detail": json(e.detail), "at": .integer(at)]
            }
        case .execApprovalRequested(let e):
            rows.put("approvals", "exec:\(e.id)", [
                "id": .string(e.id), "kind": "exec", "status": "pending", "summary": .string("Run `\(e.command)`"),
                "command": .string(e.command), "cwd": json(e.cwd), "host": json(e.host), "sessionKey": json(e.sessionKey),
                "agentId": json(e.agentId), "allowedDecisions": .array(e.allowedDecisions.map { .string($0.rawValue) }),
                "requestedBy": "runtime", "requestedAt": .integer(at), "expiresAt": .integer(e.expiresAt),
                "decision": .null, "resolvedBy": .null, "resolvedAt": .null,
            ], scope: "pending", sort: at)
        case .execApprovalResolved(let e):
            try resolve("exec:\(e.id)", status: "resolved", decision: e.decision.rawValue, by: e.by, at, rows)
        case .execApprovalExpired(let e):
            try resolve("exec:\(e.id)", status: "expired", decision: nil, by: nil, at, rows)
        case .execApprovalDelivered(let e):
            try rows.updateExisting("approvals", "exec:\(e.id)") { row in
                row["delivery"] = ["result": .string(e.outcome.rawValue), "detail": json(e.detail), "at": .integer(at)]
            }
        default: break
        }
    }

    private func resolve(_ key: String, status: String, decision: String?, by: String?, _ at: Millis, _ rows: ProjectionRows) throws {
        try rows.updateExisting("approvals", key, scope: "resolved") { row in
            row["status"] = .string(status)
            row["decision"] = json(decision)
            row["resolvedBy"] = json(by)
            row["resolvedAt"] = .integer(at)
        }
    }
}
