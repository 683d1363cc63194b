import Foundation
import Hummingbird

/// The simulator's own controls, for `clawcloud dev` and scripts: what, in production, a device
/// or a chat sender would do to the tenant's gateway. Under `/simulator` (not part of the
/// runtime's contract), with the service token. `:tenant` is the id ClawCloud sends as
/// `x-oa-instance-id` (the instance's sandbox id).
///
/// - `POST /simulator/tenants/:tenant/devices {deviceId, displayName?}` → `{requestId}`: a device asks to pair.
/// - `POST /simulator/tenants/:tenant/pairing/:channel {sender}` → `{code}`: an unknown sender writes.
/// - `POST /simulator/tenants/:tenant/exec-approvals {command}` → `{id}`: the agent asks before running a command.
/// - `POST /simulator/tenants/:tenant/stop` → `{stopped:true}`: the container is stopped, as an idle one is.
struct SimulatorControls {
    let runtime: SimulatedRuntime

    func add(to controls: RouterGroup<BasicRequestContext>) {
        let runtime = runtime
        controls.post("tenants/:tenant/devices") { request, context in
            let tenant = context.parameters.get("tenant") ?? ""
            guard let body = try await SimulatedRoutes.body(request), let deviceId = body["deviceId"] as? String, !deviceId.isEmpty else {
                return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "deviceId is required")
            }
            let requestId = await runtime.connectDevice(tenant: tenant, deviceId: deviceId, displayName: body["displayName"] as? String)
            return RuntimeEnvelope.ok(["requestId": requestId])
        }
        controls.post("tenants/:tenant/pairing/:channel") { request, context in
            let tenant = context.parameters.get("tenant") ?? ""
            let channel = context.parameters.get("channel") ?? ""
            guard let body = try await SimulatedRoutes.body(request), let sender = body["sender"] as? String, !sender.isEmpty else {
                return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "sender is required")
            }
            guard let code = await runtime.messageFromUnknownSender(tenant: tenant, channel: channel, sender: sender) else {
                return RuntimeEnvelope.error(.conflict, code: "conflict", message: "3 pairing requests are already pending on \(channel)")
            }
            return RuntimeEnvelope.ok(["code": code])
        }
        controls.post("tenants/:tenant/exec-approvals") { request, context in
            let tenant = context.parameters.get("tenant") ?? ""
            guard let body = try await SimulatedRoutes.body(request), let command = body["command"] as? String, !command.isEmpty else {
                return RuntimeEnvelope.error(.badRequest, code: "invalid_request", message: "command is required")
            }
            return RuntimeEnvelope.ok(["id": await runtime.requestExecApproval(tenant: tenant, command: command)])
        }
        controls.post("tenants/:tenant/stop") { _, context in
            await runtime.stopGateway(tenant: context.parameters.get("tenant") ?? "")
            return RuntimeEnvelope.ok(["stopped": true])
        }
    }
}

/// The service token, for the controls.
struct ControlAuth: RouterMiddleware {
    typealias Context = BasicRequestContext
    let runtime: SimulatedRuntime

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let token = bearer ?? request.headers[.init("x-openagents-service-token")!], token == runtime.serviceToken else {
            return RuntimeEnvelope.error(.unauthorized, code: "unauthorized", message: "unauthorized")
        }
        return try await next(request, context)
    }
}
