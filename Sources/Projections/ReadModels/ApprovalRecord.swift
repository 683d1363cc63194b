import Domain
import GRDB

/// An approval as the ``ApprovalsQueue`` view holds it: a held command's, or an exec approval's.
public struct ApprovalRecord: Sendable, Equatable {
    public let id: String
    /// `held` or `exec`.
    public let kind: String
    /// `pending`, `granted`, `denied`, `expired`, `executed` (held) or `resolved` (exec).
    public let status: String
    public let toolName: String?
    public let summary: String?
    public let toolInput: JSONValue?
    /// How the released command's runtime call ended: `succeeded` or `failed`, with a detail.
    public let outcome: (result: String, detail: String?)?
    /// The whole row, as the API answers it.
    public let json: JSONValue

    init?(_ row: Row) {
        guard let id = row.string("id"), let kind = row.string("kind"), let status = row.string("status") else { return nil }
        self.id = id
        self.kind = kind
        self.status = status
        toolName = row.string("toolName")
        summary = row.string("summary")
        toolInput = row["toolInput"]
        outcome = row["outcome"]?["result"]?.stringValue.map { ($0, row["outcome"]?["detail"]?.stringValue) }
        json = row.json
    }

    public static func == (lhs: ApprovalRecord, rhs: ApprovalRecord) -> Bool { lhs.json == rhs.json }
}

extension Projector {
    /// The held command's approval `id`, or the exec approval `id`.
    public func approval(_ db: Database, id: String) throws -> ApprovalRecord? {
        try (row(db, "approvals", "approvals", key: id) ?? row(db, "approvals", "approvals", key: "exec:\(id)")).flatMap(ApprovalRecord.init)
    }

    /// The approval that a gated call with this input digest answers: the latest one requested
    /// with it, until a caller repeating the call was given its outcome.
    public func approval(_ db: Database, forInput digest: String) throws -> ApprovalRecord? {
        guard let id = try row(db, "approvals", "by_input", key: digest)?.string("approvalId") else { return nil }
        return try approval(db, id: id)
    }

    /// Approvals, newest first; `pending` or `resolved` ones only when `scope` says so.
    public func approvals(_ db: Database, scope: String?, limit: Int) throws -> [ApprovalRecord] {
        try rows(db, "approvals", "approvals", RowQuery(scope: scope, limit: limit)).compactMap(ApprovalRecord.init)
    }
}

extension Projector {
    /// The device requests the log holds as pending.
    public func pendingDeviceRequests(_ db: Database) throws -> [String] {
        try rows(db, "devices", "devices", RowQuery(scope: "pending", limit: 1_000)).compactMap { $0.string("requestId") }
    }
}
