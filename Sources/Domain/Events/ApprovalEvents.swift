/// Human approvals of held commands (`approval-<id>`) and the runtime's exec approvals
/// (`exec-approval-<id>`).

public struct ApprovalRequested: EventPayload {
    public static let type = "approval.requested"
    public let approvalId: String
    public let action: HeldAction
    public let summary: String
    public let risk: Risk
    public let costEstimateMicros: Micros?
    public let toolName: String
    public let toolInput: JSONValue
    public let requestedBy: String
    public let expiresAt: Millis
    /// The SHA-256 of the gated call (route and body): calling it again with the same input
    /// answers this approval (absent in events of earlier builds, and for held charges).
    public var inputDigest: String? = nil
    public var stream: String { Streams.approval(approvalId) }
}

/// A caller that called the gated route again with the same input was given the approval's
/// outcome: identical calls after it are new commands.
public struct ApprovalAnswered: EventPayload {
    public static let type = "approval.answered"
    public let approvalId: String
    public var stream: String { Streams.approval(approvalId) }
}

public struct ApprovalGranted: EventPayload {
    public static let type = "approval.granted"
    public let approvalId: String
    public let by: String
    public var stream: String { Streams.approval(approvalId) }
}

public struct ApprovalDenied: EventPayload {
    public static let type = "approval.denied"
    public let approvalId: String
    public let by: String
    public var stream: String { Streams.approval(approvalId) }
}

public struct ApprovalExpired: EventPayload {
    public static let type = "approval.expired"
    public let approvalId: String
    public var stream: String { Streams.approval(approvalId) }
}

/// How a released command ended (for commands that call the runtime, once the call returned).
public struct ApprovalExecuted: EventPayload {
    public static let type = "approval.executed"
    public let approvalId: String
    public let outcome: Outcome
    public let detail: String?
    /// True when the outcome was observed on the runtime (its answer was lost), not answered.
    public var observed: Bool? = nil
    public var stream: String { Streams.approval(approvalId) }

    public enum Outcome: String, Codable, Sendable { case succeeded, failed }
}

/// The decisions an exec approval takes, exactly as the OpenClaw gateway spells them.
public enum ExecDecision: String, Codable, Sendable, CaseIterable {
    case allowOnce = "allow-once", allowAlways = "allow-always", deny
}

public struct ExecApprovalRequested: EventPayload {
    public static let type = "exec_approval.requested"
    public let id: String
    public let command: String
    public let cwd: String?
    public let host: String?
    public let sessionKey: String?
    public let agentId: String?
    public let allowedDecisions: [ExecDecision]
    public let expiresAt: Millis
    public var stream: String { Streams.execApproval(id) }
}

public struct ExecApprovalResolved: EventPayload {
    public static let type = "exec_approval.resolved"
    public let id: String
    public let decision: ExecDecision
    public let by: String
    public var stream: String { Streams.execApproval(id) }
}

/// The decision reached the runtime (`succeeded`), or the runtime refused it (`failed`, with why):
/// the runtime's answer, or (`observed`) what its pending list showed.
public struct ExecApprovalDelivered: EventPayload {
    public static let type = "exec_approval.delivered"
    public let id: String
    public let decision: ExecDecision
    public let outcome: ApprovalExecuted.Outcome
    public let detail: String?
    public var observed: Bool? = nil
    public var stream: String { Streams.execApproval(id) }
}

/// Unanswered within its timeout: the host applies its fallback (deny).
public struct ExecApprovalExpired: EventPayload {
    public static let type = "exec_approval.expired"
    public let id: String
    public var stream: String { Streams.execApproval(id) }
}
