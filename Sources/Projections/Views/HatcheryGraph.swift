import Domain

/// The Hatchery canvas: nodes with the fields the website renders (`id, label, kind, subtitle,
/// status ok|live|running|pending|error, badge, updatedAt`) and typed edges
/// (`contains`, `ran`, `invoked`, `approved`, `charged`; key `<from>|<kind>|<to>`, scope = kind).
///
/// The tree: `workspace` contains `chats`, `projects`, `openclaw` and `credits`; chats and
/// projects contain threads (by kind; `openclaw` threads hang under `openclaw`); `openclaw`
/// contains sessions, devices, DM pairing channels, backups and approvals; sessions ran runs and
/// invoked tools; approvals approved what they released; `credits` charged what caused a charge.
public struct HatcheryGraph: Projection {
    public let name = "hatchery"
    public let version = 1
    public let collections = ["nodes", "edges"]
    public init() {}

    public func apply(_ event: DomainEvent, _ context: EventContext, _ rows: ProjectionRows) throws {
        let at = context.recordedAt
        switch event {
        case .threadCreated(let e):
            let parent = e.kind == .chat ? "chats" : e.kind == .project ? "projects" : "openclaw"
            try ensureRoot(parent, at, rows)
            node("thread:\(e.threadId)", label: e.title, kind: "thread", subtitle: e.kind.rawValue, status: "ok", at, rows, extra: ["threadId": .string(e.threadId)])
            edge(parent, "contains", "thread:\(e.threadId)", at, rows)
            try count(parent, "threads", by: 1, at, rows)
        case .threadRenamed(let e):
            try change("thread:\(e.threadId)", at, rows) { $0["label"] = .string(e.title) }
        case .threadArchived(let e):
            try change("thread:\(e.threadId)", at, rows) { $0["status"] = "ok"; $0["badge"] = badge("archived", "neutral") }
        case .threadUnarchived(let e):
            try change("thread:\(e.threadId)", at, rows) { $0["badge"] = .null }
        case .messageAdded(let e):
            try change("thread:\(e.threadId)", at, rows) { $0["status"] = "running" }
        case .messageRevised(let e):
            try change("thread:\(e.threadId)", at, rows) { $0["status"] = "running" }

        case .instanceProvisionRequested:
            try openclaw(status: "pending", subtitle: "Status: provisioning", at, rows)
        case .instanceProvisioned(let e):
            try openclaw(status: "live", subtitle: "Status: ready · \(e.runtimeName)", at, rows)
        case .instanceProvisionFailed:
            try openclaw(status: "error", subtitle: "Status: error", at, rows)
        case .instanceStatusObserved(let e):
            try ensureRoot("openclaw", at, rows)
            try change("openclaw", at, rows) { $0["badge"] = badge("gateway \(e.gateway.rawValue)", e.gateway == .running ? "success" : e.gateway == .error ? "destructive" : "warning") }
        case .instanceRestartRequested:
            try change("openclaw", at, rows) { $0["status"] = "running"; $0["badge"] = badge("restarting", "info") }
        case .instanceRestarted:
            try change("openclaw", at, rows) { $0["status"] = "live"; $0["badge"] = .null }
        case .instanceRestartFailed:
            try change("openclaw", at, rows) { $0["status"] = "error"; $0["badge"] = badge("restart failed", "destructive") }
        case .instanceDeleted:
            try openclaw(status: "pending", subtitle: "Not provisioned", at, rows)
        case .backupRequested(let e):
            try ensureRoot("openclaw", at, rows)
            node("backup:\(e.backupId)", label: "Backup \(e.backupId)", kind: "backup", subtitle: "requested", status: "running", at, rows)
            edge("openclaw", "contains", "backup:\(e.backupId)", at, rows)
        case .backupTaken(let e):
            try change("backup:\(e.backupId)", at, rows) { $0["status"] = "ok"; $0["subtitle"] = .string(e.bytes.map { "\($0) bytes" } ?? "taken") }
        case .backupFailed(let e):
            try change("backup:\(e.backupId)", at, rows) { $0["status"] = "error"; $0["subtitle"] = .string(e.reason) }

        case .devicePairingRequested(let e):
            try ensureRoot("openclaw", at, rows)
            let subtitle = [e.platform, e.mode].compactMap { $0 }.joined(separator: " · ")
            node("device:\(e.requestId)", label: e.displayName ?? e.deviceId, kind: "device", subtitle: subtitle, status: "pending", at, rows,
                 badge: badge("approval needed", "warning"))
            edge("openclaw", "contains", "device:\(e.requestId)", at, rows)
        case .deviceApproved(let e):
            try change("device:\(e.requestId)", at, rows) { $0["status"] = "ok"; $0["badge"] = badge("paired", "success") }
        case .deviceRejected(let e):
            try change("device:\(e.requestId)", at, rows) { $0["status"] = "error"; $0["badge"] = badge("rejected", "destructive") }
        case .deviceExpired(let e):
            try change("device:\(e.requestId)", at, rows) { $0["status"] = "error"; $0["badge"] = badge("expired", "neutral") }
        case .deviceRemoved(let e):
            rows.delete("nodes", "device:\(e.requestId)")
            rows.delete("edges", "openclaw|contains|device:\(e.requestId)")
        case .dmPairingRequested(let e):
            try ensureRoot("openclaw", at, rows)
            let id = "pairing:\(e.channel)"
            if try rows.row("nodes", id) == nil {
                node(id, label: "DM pairing · \(e.channel)", kind: "pairing", subtitle: "0 pending", status: "ok", at, rows, extra: ["pending": 0])
                edge("openclaw", "contains", id, at, rows)
            }
            try pending(e.channel, by: 1, at, rows)
        case .dmPairingApproved(let e): try pending(e.channel, by: -1, at, rows)
        case .dmPairingRejected(let e): try pending(e.channel, by: -1, at, rows)
        case .dmPairingExpired(let e): try pending(e.channel, by: -1, at, rows)

        case .approvalRequested(let e):
            try ensureRoot("openclaw", at, rows)
            node("approval:\(e.approvalId)", label: e.summary, kind: "approval", subtitle: e.toolName, status: "pending", at, rows,
                 badge: badge("pending", "warning"), extra: ["target": .string(target(of: e.action))])
            edge("openclaw", "contains", "approval:\(e.approvalId)", at, rows)
        case .approvalGranted(let e):
            try change("approval:\(e.approvalId)", at, rows) { $0["status"] = "ok"; $0["badge"] = badge("approved", "success") }
            if let target = try rows.row("nodes", "approval:\(e.approvalId)")?.string("target") {
                edge("approval:\(e.approvalId)", "approved", target, at, rows)
            }
        case .approvalDenied(let e):
            try change("approval:\(e.approvalId)", at, rows) { $0["status"] = "error"; $0["badge"] = badge("rejected", "destructive") }
        case .approvalExpired(let e):
            try change("approval:\(e.approvalId)", at, rows) { $0["status"] = "error"; $0["badge"] = badge("expired", "neutral") }
        case .approvalExecuted(let e):
            try change("approval:\(e.approvalId)", at, rows) { $0["status"] = e.outcome == .succeeded ? "ok" : "error"; $0["badge"] = badge(e.outcome.rawValue, e.outcome == .succeeded ? "success" : "destructive") }
        case .execApprovalRequested(let e):
            try ensureRoot("openclaw", at, rows)
            node("exec:\(e.id)", label: e.command, kind: "exec-approval", subtitle: e.host ?? "gateway", status: "pending", at, rows,
                 badge: badge("pending", "warning"))
            edge(e.sessionKey.map { "session:\($0)" } ?? "openclaw", "contains", "exec:\(e.id)", at, rows)
        case .execApprovalResolved(let e):
            try change("exec:\(e.id)", at, rows) { $0["status"] = e.decision == .deny ? "error" : "ok"; $0["badge"] = badge(e.decision.rawValue, e.decision == .deny ? "destructive" : "success") }
        case .execApprovalExpired(let e):
            try change("exec:\(e.id)", at, rows) { $0["status"] = "error"; $0["badge"] = badge("expired", "neutral") }

        case .sessionObserved(let e):
            try ensureRoot("openclaw", at, rows)
            try session(e.key, label: e.displayName ?? e.key, subtitle: e.channel, at, rows)
        case .sessionMessageSent(let e):
            try session(e.key, label: nil, subtitle: nil, at, rows)
        case .sessionReplyReceived(let e):
            try session(e.key, label: nil, subtitle: nil, at, rows)
        case .runStarted(let e):
            try ensureRoot("openclaw", at, rows)
            try session(e.sessionKey, label: nil, subtitle: nil, at, rows)
            node("run:\(e.runId)", label: String(e.input.prefix(60)), kind: "run", subtitle: e.model, status: "running", at, rows)
            edge("session:\(e.sessionKey)", "ran", "run:\(e.runId)", at, rows)
        case .runCompleted(let e):
            try change("run:\(e.runId)", at, rows) { $0["status"] = "ok"; $0["badge"] = badge("\(e.usage.totalTokens) tokens", "neutral") }
        case .runFailed(let e):
            try change("run:\(e.runId)", at, rows) { $0["status"] = "error"; $0["subtitle"] = .string(e.error) }
        case .toolInvoked(let e):
            try ensureRoot("openclaw", at, rows)
            let from = e.sessionKey.map { "session:\($0)" } ?? "openclaw"
            if let key = e.sessionKey { try session(key, label: nil, subtitle: nil, at, rows) }
            node("tool:\(e.callId)", label: e.tool, kind: "tool", subtitle: e.action ?? "", status: "running", at, rows)
            edge(from, "invoked", "tool:\(e.callId)", at, rows)
        case .toolCompleted(let e):
            try change("tool:\(e.callId)", at, rows) { $0["status"] = e.ok ? "ok" : "error"; $0["badge"] = badge("\(e.durationMs) ms", "neutral") }
        case .toolFailed(let e):
            try change("tool:\(e.callId)", at, rows) { $0["status"] = "error"; $0["subtitle"] = .string(e.error) }
        case .toolOutcomeUnknown(let e):
            try change("tool:\(e.callId)", at, rows) { $0["status"] = "unknown"; $0["badge"] = badge("outcome unknown", "warning") }

        case .creditsGranted, .creditsRefunded, .spendLimitSet:
            try ensureRoot("credits", at, rows)
            try credits(event, at, rows)
        case .creditsCharged(let e):
            try ensureRoot("credits", at, rows)
            try credits(event, at, rows)
            edge("credits", "charged", e.ref, at, rows, extra: ["amountMicros": .integer(e.amountMicros), "chargeId": .string(e.chargeId)])
        default: break
        }
    }

    /// The node an approval's held action works on (stored on the approval node as `target`,
    /// to draw the `approved` edge when it is granted).
    private func target(of action: HeldAction) -> String {
        switch action {
        case .provision, .restart, .deleteInstance: "openclaw"
        case .approveDevice(let requestId): "device:\(requestId)"
        case .approveDmPairing(let channel, _, _): "pairing:\(channel)"
        case .charge: "credits"
        }
    }

    private static let roots: [String: (label: String, kind: String, subtitle: String)] = [
        "chats": ("Chats", "chat", "0 threads"),
        "projects": ("Projects", "project", "0 threads"),
        "openclaw": ("OpenClaw Cloud", "openclaw", "Not provisioned"),
        "credits": ("Credits", "credits", "$0.00"),
    ]

    /// Creates the workspace root and the top-level node `id` the first time they are needed.
    private func ensureRoot(_ id: String, _ at: Millis, _ rows: ProjectionRows) throws {
        guard try rows.row("nodes", id) == nil, let root = Self.roots[id] else { return }
        if try rows.row("nodes", "workspace") == nil {
            node("workspace", label: "Workspace", kind: "workspace", subtitle: "", status: "live", at, rows)
        }
        node(id, label: root.label, kind: root.kind, subtitle: root.subtitle, status: "pending", at, rows, extra: ["threads": 0])
        edge("workspace", "contains", id, at, rows)
    }

    private func node(
        _ id: String, label: String, kind: String, subtitle: String, status: String, _ at: Millis, _ rows: ProjectionRows,
        badge: JSONValue = .null, extra: Row = [:]
    ) {
        var row: Row = [
            "id": .string(id), "label": .string(label), "kind": .string(kind), "subtitle": .string(subtitle),
            "status": .string(status), "badge": badge, "updatedAt": .integer(at),
        ]
        for (key, value) in extra.members { row[key] = value }
        rows.put("nodes", id, row, scope: kind, sort: at)
    }

    private func edge(_ from: String, _ kind: String, _ to: String, _ at: Millis, _ rows: ProjectionRows, extra: Row = [:]) {
        var row: Row = ["from": .string(from), "to": .string(to), "kind": .string(kind), "updatedAt": .integer(at)]
        for (key, value) in extra.members { row[key] = value }
        rows.put("edges", "\(from)|\(kind)|\(to)", row, scope: kind, sort: at)
    }

    private func change(_ id: String, _ at: Millis, _ rows: ProjectionRows, _ body: (inout Row) -> Void) throws {
        try rows.updateExisting("nodes", id, sort: at) { row in
            body(&row)
            row["updatedAt"] = .integer(at)
        }
    }

    private func count(_ id: String, _ field: String, by delta: Int64, _ at: Millis, _ rows: ProjectionRows) throws {
        try change(id, at, rows) { row in
            let value = row.int(field) + delta
            row[field] = .integer(value)
            if id != "openclaw" {
                row["subtitle"] = .string("\(value) thread\(value == 1 ? "" : "s")")
                row["status"] = value > 0 ? "running" : "pending"
            }
        }
    }

    private func openclaw(status: String, subtitle: String, _ at: Millis, _ rows: ProjectionRows) throws {
        try ensureRoot("openclaw", at, rows)
        try change("openclaw", at, rows) { $0["status"] = .string(status); $0["subtitle"] = .string(subtitle) }
    }

    private func session(_ key: String, label: String?, subtitle: String?, _ at: Millis, _ rows: ProjectionRows) throws {
        let id = "session:\(key)"
        if try rows.row("nodes", id) == nil {
            try ensureRoot("openclaw", at, rows)
            node(id, label: label ?? key, kind: "session", subtitle: subtitle ?? "", status: "live", at, rows)
            edge("openclaw", "contains", id, at, rows)
            return
        }
        try change(id, at, rows) { row in
            if let label { row["label"] = .string(label) }
            if let subtitle { row["subtitle"] = .string(subtitle) }
        }
    }

    private func pending(_ channel: String, by delta: Int64, _ at: Millis, _ rows: ProjectionRows) throws {
        try change("pairing:\(channel)", at, rows) { row in
            let value = max(0, row.int("pending") + delta)
            row["pending"] = .integer(value)
            row["subtitle"] = .string("\(value) pending")
            row["status"] = value > 0 ? "pending" : "ok"
            row["badge"] = value > 0 ? badge("approval needed", "warning") : .null
        }
    }

    private func credits(_ event: DomainEvent, _ at: Millis, _ rows: ProjectionRows) throws {
        try change("credits", at, rows) { row in
            var balance = row.int("balanceMicros")
            switch event {
            case .creditsGranted(let e): balance += e.amountMicros
            case .creditsCharged(let e): balance -= e.amountMicros
            case .creditsRefunded(let e): balance += e.amountMicros
            default: break
            }
            row["balanceMicros"] = .integer(balance)
            row["subtitle"] = .string(Money.usd(balance))
            row["status"] = balance > 0 ? "ok" : "error"
            if case .spendLimitSet(let e) = event {
                row["badge"] = e.limitMicros.map { badge("limit \(Money.usd($0))", "info") } ?? .null
            }
        }
    }
}

private func badge(_ label: String, _ tone: String) -> JSONValue {
    ["label": .string(label), "tone": .string(tone)]
}
