import Domain
import EventStore
import Hummingbird

/// `POST /api/openclaw/runtime/events`: what the runtime reports (service token +
/// `X-OA-Instance-Id`): `{type: "exec_approval.requested" | "device.pairing_requested" |
/// "dm_pairing.requested" | "session.observed", …fields of that event}`.
extension API {
    func addRuntimeEventRoutes() {
        let services = services
        route(.post, "", "Runtime events: exec approval requested, device pairing requested, DM pairing requested, session activity.", write: true) { request, context in
            let body = try await request.json(RuntimeEvent.self, limit: services.configuration.bodyLimit)
            let tenant = try context.requireTenant()
            return try await services.stores.withTenant(tenant) { store in
                let outcome: CommandBus.Outcome
                switch body.type {
                case "exec_approval.requested":
                    let id = try body.require(body.id, "id")
                    let stream = Streams.execApproval(id)
                    outcome = try await services.command(on: store, request, context, actor: "runtime", reading: [stream]) { history, decision in
                        try ExecApprovalDecider.decide(.request(id: id, command: try body.require(body.command, "command"), cwd: body.cwd, host: body.host,
                                                                sessionKey: body.sessionKey, agentId: body.agentId,
                                                                allowedDecisions: body.allowedDecisions, timeoutMs: body.timeoutMs),
                                                       ExecApprovalDecider.fold(history[stream] ?? []), decision)
                    }
                case "device.pairing_requested":
                    let requestId = try body.require(body.requestId, "requestId")
                    let stream = Streams.device(requestId)
                    outcome = try await services.command(on: store, request, context, actor: "runtime", reading: [stream]) { history, decision in
                        try DevicePairingDecider.decide(.request(requestId: requestId, deviceId: try body.require(body.deviceId, "deviceId"),
                                                                 role: body.role ?? "operator", platform: body.platform, mode: body.mode,
                                                                 displayName: body.displayName, scopes: body.scopes ?? []),
                                                        DevicePairingDecider.fold(history[stream] ?? []), decision)
                    }
                case "dm_pairing.requested":
                    let channel = try body.require(body.channel, "channel")
                    let stream = Streams.dmPairing(channel)
                    outcome = try await services.command(on: store, request, context, actor: "runtime", reading: [stream]) { history, decision in
                        try DmPairingDecider.decide(.request(channel: channel, account: body.account, peer: try body.require(body.peer, "peer"),
                                                             requestId: try body.require(body.requestId, "requestId")),
                                                    DmPairingDecider.fold(history[stream] ?? []), decision)
                    }
                case "session.observed":
                    let key = try body.require(body.key, "key")
                    let stream = Streams.session(key)
                    outcome = try await services.command(on: store, request, context, actor: "runtime", reading: [stream]) { history, decision in
                        try SessionDecider.decide(.observe(key: key, kind: body.kind ?? "direct", channel: body.channel ?? "webchat",
                                                           displayName: body.displayName, updatedAt: body.updatedAt ?? decision.now,
                                                           totalTokens: body.totalTokens ?? 0),
                                                  SessionDecider.fold(history[stream] ?? []), decision)
                    }
                default:
                    throw APIError.badRequest("type must be exec_approval.requested, device.pairing_requested, dm_pairing.requested or session.observed")
                }
                return Envelope.ok(["accepted": true, "type": .string(body.type), "events": .integer(Int64(outcome.events.count))],
                                   position: outcome.position)
            }
        }
    }
}

private struct RuntimeEvent: Decodable {
    var type: String
    var id: String?
    var command: String?
    var cwd: String?
    var host: String?
    var sessionKey: String?
    var agentId: String?
    var allowedDecisions: [ExecDecision]?
    var timeoutMs: Int64?
    var requestId: String?
    var deviceId: String?
    var role: String?
    var platform: String?
    var mode: String?
    var displayName: String?
    var scopes: [String]?
    var channel: String?
    var account: String?
    var peer: String?
    var key: String?
    var kind: String?
    var updatedAt: Int64?
    var totalTokens: Int64?

    func require(_ value: String?, _ name: String) throws -> String {
        guard let value, !value.isEmpty else { throw APIError.badRequest("\(name) is required for \(type)") }
        return value
    }
}
