import Foundation
import Domain
import EventStore
import Hummingbird

/// `POST /api/openclaw/runtime/events`: an optional push channel for a runtime that reports to
/// ClawCloud (service token + `X-OA-Instance-Id`, the tenant id): `{type:
/// "exec_approval.requested" | "device.pairing_requested" | "dm_pairing.requested" |
/// "session.observed", …fields of that event}`. The runtime ClawCloud runs against today never
/// calls it: nothing depends on it, and what it reports is recorded as an observation is.
extension API {
    func addRuntimeEventRoutes() {
        let services = services
        route(.post, "", "Runtime events: exec approval requested, device pairing requested, DM pairing requested, session activity.", write: true,
              accepts: RequestShape(body: Self.runtimeEvent)) { request, context in
            let body = try await request.json(RuntimeEvent.self, limit: services.configuration.bodyLimit)
            let tenant = try context.requireTenant()
            let now = Int64((Date.now.timeIntervalSince1970 * 1000).rounded(.down))
            return try await services.stores.withTenant(tenant) { store in
                let outcome: CommandBus.Outcome
                switch body.type {
                case "exec_approval.requested":
                    let id = try body.require(body.id, "id")
                    let command = ExecApprovalDecider.Command.request(
                        id: id, command: try body.require(body.command, "command"), cwd: body.cwd, host: body.host, sessionKey: body.sessionKey,
                        agentId: body.agentId, allowedDecisions: body.allowedDecisions, timeoutMs: body.timeoutMs)
                    outcome = try await services.command(ExecApprovalDecider.self, command, on: Streams.execApproval(id), in: store, request, context, actor: "runtime")
                case "device.pairing_requested":
                    let requestId = try body.require(body.requestId, "requestId")
                    let device = ObservedDevice(requestId: requestId, deviceId: try body.require(body.deviceId, "deviceId"), role: body.role ?? "operator",
                                                platform: body.platform, clientMode: body.mode, displayName: body.displayName, scopes: body.scopes ?? [],
                                                createdAt: now)
                    outcome = try await services.command(DevicePairingDecider.self, .observe(requestId: requestId, device: device, listed: false, paired: false),
                                                         on: Streams.device(requestId), in: store, request, context, actor: "runtime")
                case "dm_pairing.requested":
                    let channel = try body.require(body.channel, "channel")
                    let pairing = ObservedPairingRequest(sender: try body.require(body.peer, "peer"), code: try body.require(body.code, "code"),
                                                         account: body.account ?? "default", createdAt: now)
                    outcome = try await services.command(DmPairingDecider.self, .observe(channel: channel, requests: [pairing], complete: false),
                                                         on: Streams.dmPairing(channel), in: store, request, context, actor: "runtime")
                case "session.observed":
                    let key = try body.require(body.key, "key")
                    let session = ObservedSession(key: key, kind: body.kind ?? "other", channel: body.channel ?? "webchat", displayName: body.displayName,
                                                  updatedAt: body.updatedAt ?? now, totalTokens: body.totalTokens ?? 0)
                    outcome = try await services.command(SessionDecider.self, .observe(session), on: Streams.session(key), in: store, request, context, actor: "runtime")
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
    var code: String?
    var key: String?
    var kind: String?
    var updatedAt: Int64?
    var totalTokens: Int64?

    func require(_ value: String?, _ name: String) throws -> String {
        guard let value, !value.isEmpty else { throw APIError.badRequest("\(name) is required for \(type)") }
        return value
    }
}

extension API {
    /// The runtime events the route takes, one schema per `type` with the members it requires.
    fileprivate static let runtimeEvent: JSONValue = {
        func event(_ type: String, _ properties: [String: JSONValue], required: [String]) -> JSONValue {
            Schema.object(properties.merging(["type": ["const": .string(type)]]) { mine, _ in mine }, required: ["type"] + required)
        }
        return ["oneOf": [
            event("exec_approval.requested", ["id": ["type": "string", "pattern": #"^(?!plugin:)[\x21-\x2E\x30-\x5B\x5D-\x7E]{1,128}$"#], "command": Schema.text(max: 8_192), "cwd": Schema.string, "host": Schema.string, "sessionKey": Schema.string,
                                              "agentId": Schema.string, "timeoutMs": Schema.integer(1...Int64.max),
                                              "allowedDecisions": ["type": "array", "minItems": 1, "items": Schema.choice(ExecDecision.allCases.map(\.rawValue))]],
                  required: ["id", "command"]),
            event("device.pairing_requested", ["requestId": Schema.identifier, "deviceId": Schema.identifier, "role": Schema.string, "platform": Schema.string, "mode": Schema.string,
                                               "displayName": Schema.string, "scopes": ["type": "array", "items": Schema.string]],
                  required: ["requestId", "deviceId"]),
            event("dm_pairing.requested", ["channel": Schema.channel, "account": Schema.identifier, "peer": Schema.text(max: 256),
                                           "code": ["type": "string", "pattern": "^[A-Z0-9]{1,32}$"]],
                  required: ["channel", "peer", "code"]),
            event("session.observed", ["key": Schema.sessionKey, "kind": Schema.string, "channel": Schema.string, "displayName": Schema.string,
                                       "updatedAt": ["type": "integer"], "totalTokens": Schema.integer(0...Int64.max)],
                  required: ["key"]),
        ]]
    }()
}
