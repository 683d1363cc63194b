import Crypto
import Domain
import EventStore
import Foundation
import Hummingbird
import Projections

/// Holding risky commands behind approvals at the HTTP edge, as the original tool gate answered.
///
/// A gated route called without an approval id records `approval.requested` (after checking the
/// command could run now) and answers `202 {status: "approval_required", approvalId, summary,
/// toolName, toolInput}`. Called again with the same input, it answers that approval: `202
/// approval_pending` while pending, then its outcome once (`approval_rejected`, or the command's
/// result). Called again with `approvalId` (body or `X-OA-Approval-Id`) it answers the outcome:
/// 202 `approval_pending` while pending, 409 once denied or expired, and once granted the
/// command's result (carrying out its runtime call first if it has not run yet; `202
/// {status: "in_progress", effectId}` when that call outlasts the configured wait).
extension Services {
    func gate(
        _ request: Request, _ context: ClawContext, store: EventStore, action: HeldAction, approvalId given: String?, body: JSONValue?,
        _ completed: @escaping (JSONValue) async throws -> Response
    ) async throws -> Response {
        let tenant = try context.requireTenant()
        guard let approvalId = given else {
            let digest = Self.inputDigest(request, body: body)
            if let open = try await store.read({ db in try store.projector.approval(db, forInput: digest) }) {
                return try await answerRepeated(open, action: action, tenant: tenant, store: store, context, completed)
            }
            let newID = "apr_\(UUID.random().storedSpelling)"
            let target = try await self.target(of: action, tenant: tenant, store: store)
            let outcome = try await self.command(on: store, request, context, reading: [target.read]) { states, decision in
                try ApprovalRelease.hold(action, approvalId: newID, target: target.state(states), inputDigest: digest, decision)
            }
            guard case .approvalRequested(let held)? = outcome.events.first else { throw APIError(.internalServerError, "approval not recorded") }
            return Self.gateResult("approval_required", held.approvalId, held.summary, held.toolName, held.toolInput, status: .accepted, position: outcome.position)
        }
        let approval = try await store.read { db in try store.projector.approval(db, id: approvalId) }
        guard let approval, approval.kind == "held" else { throw APIError.notFound("approval \(approvalId) not found") }
        guard approval.toolName == action.toolName else {
            throw APIError(.conflict, "approval \(approvalId) is for \(approval.toolName ?? "another action")")
        }
        switch approval.status {
        case "pending":
            return Self.gateResult("approval_pending", approvalId, approval.summary ?? "", action.toolName, approval.toolInput ?? [:], status: .accepted, position: nil)
        case "denied", "expired":
            throw APIError(.conflict, "approval \(approvalId) was \(approval.status == "denied" ? "rejected" : "expired")")
        case "executed" where approval.outcome?.result == "failed":
            throw APIError(.badGateway, "the approved command failed: \(approval.outcome?.detail ?? "runtime error")")
        default:
            guard let data = try await runEffect(approvalId, tenant: tenant, store: store) else {
                return Self.inProgress("approval:\(approvalId)", position: nil)
            }
            return try await completed(data)
        }
    }

    /// A gated call repeated with the same input (a client that cannot name the approval): the
    /// approval it opened answers — `approval_pending` while pending; once decided, its outcome,
    /// given once (`approval_rejected`, or the released command's result, performed once); the
    /// next identical call is a new command.
    private func answerRepeated(
        _ approval: ApprovalRecord, action: HeldAction, tenant: TenantID, store: EventStore, _ context: ClawContext,
        _ completed: @escaping (JSONValue) async throws -> Response
    ) async throws -> Response {
        let summary = approval.summary ?? "", toolInput = approval.toolInput ?? [:]
        func answered() async throws -> Int64 {
            try await bus(store, tenant: tenant, actor: tenant.rawValue, requestID: context.requestID)
                .run(ApprovalDecider.self, .recordAnswered(approvalId: approval.id), on: Streams.approval(approval.id)).position
        }
        switch approval.status {
        case "pending":
            return Self.gateResult("approval_pending", approval.id, summary, action.toolName, toolInput, status: .accepted, position: nil)
        case "denied", "expired":
            let position = try await answered()
            return Self.gateResult("approval_rejected", approval.id, summary, action.toolName, toolInput, status: .ok, position: position)
        case "executed" where approval.outcome?.result == "failed":
            _ = try await answered()
            throw APIError(.badGateway, "the approved command failed: \(approval.outcome?.detail ?? "runtime error")")
        default:
            guard let data = try await runEffect(approval.id, tenant: tenant, store: store) else {
                return Self.inProgress("approval:\(approval.id)", position: nil)
            }
            _ = try await answered()
            return try await completed(data)
        }
    }

    /// The SHA-256 of a gated call's input: its method, path and body (canonical JSON, without
    /// `approvalId`; no body is `{}`).
    static func inputDigest(_ request: Request, body: JSONValue?) -> String {
        var members = body?.objectValue ?? [:]
        members["approvalId"] = nil
        return SHA256.hash(data: Data("\(request.method) \(request.uri.path)\n".utf8) + JSONWriter.data(.object(members))).hexString
    }

    /// Runs the effect an approval released, if it is still open, within the configured wait:
    /// its runtime data (null when there is none, or it ran before), or nil while it is still
    /// under way.
    func runEffect(_ approvalId: String, tenant: TenantID, store: EventStore) async throws -> JSONValue? {
        let effect = try await store.read { db in try store.projector.effect(db, id: "approval:\(approvalId)") }
        guard let effect, effect.status != .done else { return .null }
        return try await Effects(services: self).perform(effect, tenant: tenant, store: store, within: configuration.effectWait)
    }

    /// How to build the held action's target from the streams the command reads.
    func target(of action: HeldAction, tenant: TenantID, store: EventStore) async throws -> (read: StreamRead, state: @Sendable (StreamStates) -> ApprovalRelease.Target) {
        let stream = ApprovalRelease.stream(of: action)
        switch action {
        case .provision, .restart, .deleteInstance:
            let access = try await self.accessStatus(tenant.rawValue)
            return (.stream(stream, as: InstanceDecider.self), { .instance($0[stream, as: InstanceDecider.self], access: access) })
        case .approveDevice: return (.stream(stream, as: DevicePairingDecider.self), { .device($0[stream, as: DevicePairingDecider.self]) })
        case .approveDmPairing: return (.stream(stream, as: DmPairingDecider.self), { .dmPairing($0[stream, as: DmPairingDecider.self]) })
        case .charge: return (.stream(stream, as: CreditsDecider.self), { .credits($0[stream, as: CreditsDecider.self]) })
        }
    }

    /// The original tool gate's result: `{status: approval_required | approval_pending | approval_rejected, approvalId, summary, toolName, toolInput}`.
    static func gateResult(_ status: String, _ id: String, _ summary: String, _ toolName: String, _ toolInput: JSONValue, status code: HTTPResponse.Status,
                           position: Int64?) -> Response {
        Envelope.ok(["status": .string(status), "approvalId": .string(id), "summary": .string(summary), "toolName": .string(toolName),
                     "toolInput": toolInput], status: code, position: position)
    }
}

extension Request {
    /// The approval a retried gated call names: `X-OA-Approval-Id`, or `approvalId` in the body.
    func approvalId(body: JSONValue?) throws -> String? {
        if let member = body?["approvalId"], member != .null, member.stringValue == nil { throw APIError.badRequest("approvalId must be a string") }
        let id = headers[.init("X-OA-Approval-Id")!] ?? body?["approvalId"]?.stringValue
        if let id, !(1...128).contains(id.utf8.count) { throw APIError.badRequest("approvalId must be 1-128 characters") }
        return id
    }

    /// The body as JSON when there is one (gated routes take an optional body).
    func optionalJSON(limit: Int) async throws -> JSONValue? {
        let buffer = try await collectBody(limit: limit)
        guard buffer.readableBytes > 0 else { return nil }
        let value = try buffer.withUnsafeReadableBytes { try JSONParser.parse(Data($0)) }
        guard case .object = value else { throw APIError.badRequest("the request body must be a JSON object") }
        return value
    }
}
