import Domain

/// OpenClaw sessions (key, kind, channel, display name, last activity, tokens) and their
/// transcripts as ClawCloud saw them: messages sent, replies, and chat runs.
///
/// Version 2: `runs` holds each run's model, status (scope running|completed|failed), times,
/// usage and error (version 1 kept only its session). Version 3: a run may end `incomplete`,
/// runs name their agent, and a send without a reply shows how it ended (`send:<status>`).
/// Version 4: each run's cost (`costMicros`, from its charges), and `tools`: a receipt per tool call
/// (tool, action, session, status invoked/completed/failed/unknown, duration, result size, error).
public struct SessionsView: Projection {
    public let name = "sessions"
    public let version = 4
    /// `runs`: each chat run, with its session (looked up when it completes).
    public let collections = ["sessions", "transcript", "runs", "tools"]
    public init() {}

    public func apply(_ event: DomainEvent, _ context: EventContext, _ rows: ProjectionRows) throws {
        switch event {
        case .sessionObserved(let e):
            try touch(e.key, at: e.updatedAt, rows) { row in
                row["kind"] = .string(e.kind)
                row["channel"] = .string(e.channel)
                row["displayName"] = json(e.displayName)
                row["totalTokens"] = .integer(e.totalTokens)
            }
        case .sessionMessageSent(let e):
            try transcript(e.key, "user", e.message, runId: e.runId, context, rows)
        case .sessionReplyReceived(let e):
            try transcript(e.key, "assistant", e.reply, runId: e.runId, context, rows)
        case .sessionSendEnded(let e):
            try transcript(e.key, "send:\(e.status)", e.error ?? "", runId: e.runId, context, rows)
        case .runStarted(let e):
            try transcript(e.sessionKey, "user", e.input, runId: e.runId, context, rows)
            rows.put("runs", e.runId, [
                "runId": .string(e.runId), "sessionKey": .string(e.sessionKey), "agentId": json(e.agentId), "model": .string(e.model), "status": "running",
                "startedAt": .integer(context.recordedAt), "finishedAt": .null, "usage": .null, "error": .null, "costMicros": 0,
            ], scope: "running", sort: context.recordedAt)
        case .runCompleted(let e):
            guard let key = try rows.row("runs", e.runId)?.string("sessionKey") else { return }
            let status = e.status ?? "completed"
            try rows.updateExisting("runs", e.runId, scope: status) { row in
                row["status"] = .string(status); row["finishedAt"] = .integer(context.recordedAt)
                row["usage"] = ["inputTokens": .integer(e.usage.inputTokens), "outputTokens": .integer(e.usage.outputTokens)]
            }
            try transcript(key, "assistant", e.text, runId: e.runId, context, rows)
            try rows.updateExisting("sessions", key) { row in
                row["totalTokens"] = .integer(row.int("totalTokens") + e.usage.totalTokens)
            }
        case .runFailed(let e):
            guard let key = try rows.row("runs", e.runId)?.string("sessionKey") else { return }
            try rows.updateExisting("runs", e.runId, scope: "failed") { row in
                row["status"] = "failed"; row["finishedAt"] = .integer(context.recordedAt); row["error"] = .string(e.error)
            }
            try transcript(key, "error", e.error, runId: e.runId, context, rows)
        case .creditsCharged(let e) where e.ref.hasPrefix("run:"):
            let runId = String(e.ref.dropFirst(4))
            guard try rows.row("runs", runId) != nil else { return }
            try rows.updateExisting("runs", runId) { $0["costMicros"] = .integer($0.int("costMicros") + e.amountMicros) }
        case .toolInvoked(let e):
            rows.put("tools", e.callId, [
                "callId": .string(e.callId), "tool": .string(e.tool), "action": json(e.action), "sessionKey": json(e.sessionKey), "status": "invoked",
                "invokedAt": .integer(context.recordedAt), "endedAt": .null, "durationMs": .null, "resultBytes": .null, "error": .null,
            ], scope: "invoked", sort: context.recordedAt)
        case .toolCompleted(let e):
            try tool(e.callId, e.ok ? "completed" : "failed", context, rows) { $0["durationMs"] = .integer(e.durationMs); $0["resultBytes"] = .integer(e.resultBytes) }
        case .toolFailed(let e):
            try tool(e.callId, "failed", context, rows) { $0["error"] = .string(e.error) }
        case .toolOutcomeUnknown(let e):
            try tool(e.callId, "unknown", context, rows) { $0["error"] = .string(e.reason) }
        default: break
        }
    }

    private func tool(_ callId: String, _ status: String, _ context: EventContext, _ rows: ProjectionRows, _ change: (inout Row) -> Void) throws {
        guard try rows.row("tools", callId) != nil else { return }
        try rows.updateExisting("tools", callId, scope: status) { row in
            row["status"] = .string(status); row["endedAt"] = .integer(context.recordedAt)
            change(&row)
        }
    }

    private func touch(_ key: String, at: Millis, _ rows: ProjectionRows, _ change: (inout Row) -> Void) throws {
        try rows.update("sessions", key, sort: at, initial: {
            ["key": .string(key), "kind": "other", "channel": "unknown", "displayName": .null, "totalTokens": 0, "messages": 0, "updatedAt": 0]
        }) { row in
            row["updatedAt"] = .integer(max(row.int("updatedAt"), at))
            change(&row)
        }
    }

    private func transcript(_ key: String, _ role: String, _ text: String, runId: String?, _ context: EventContext, _ rows: ProjectionRows) throws {
        var index: Int64 = 0
        try touch(key, at: context.recordedAt, rows) { row in
            index = row.int("messages")
            row["messages"] = .integer(index + 1)
        }
        rows.put("transcript", "\(key)/\(paddedKey(index))", [
            "sessionKey": .string(key), "role": .string(role), "text": .string(text), "runId": json(runId),
            "at": .integer(context.recordedAt),
        ], scope: key, sort: index)
    }
}
