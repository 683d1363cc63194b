import Foundation
import Hummingbird
import NIOCore

/// A **simulated** OpenClaw runtime, for `clawcloud dev` and the tests: the only fake in the
/// project, standing in for the runtime worker we cannot run here. It speaks the runtime's HTTP
/// contract (reference Part A §2): the service token (`Authorization: Bearer` or
/// `x-openagents-service-token`, else 401), the tenant header (`x-oa-instance-id`), the envelope
/// `{ok, data}` / `{ok:false, error:{code, message, details}}`, and `/v1/responses` as
/// OpenResponses SSE in the documented event order ending with `data: [DONE]`. It reports
/// itself as `version: {clawdbot: "simulated"}`.
///
/// State is per tenant and in memory: gateway status, devices, DM pairing requests, sessions,
/// the last backup, and the first answer to each `Idempotency-Key` of a tool call or a session
/// send (a call repeated with the key gets that answer again and runs nothing, the contract
/// ClawCloud relies on for retries). Every call is counted (``calls``), so tests can see what reached the runtime.
public actor SimulatedRuntime {
    struct Tenant {
        var gateway = "running"
        var lastBackup: String?
        var pendingDevices: [[String: String]] = []
        var pairedDevices: [[String: String]] = []
        var pairing: [String: [[String: String]]] = [:]
        var sessions: [String: [String]] = [:]
        /// The first answer to each `Idempotency-Key` of a tool call or a session send.
        var answers: [String: Response] = [:]
    }

    public let serviceToken: String
    private var tenants: [String: Tenant] = [:]
    /// `METHOD path` of every authenticated call, in order.
    public private(set) var calls: [String] = []
    /// Idempotency keys seen, by call (a retried side effect carries the same key).
    public private(set) var idempotencyKeys: [String] = []
    /// Idempotency keys a call carried while another call with the same key was still being
    /// answered (a caller that does not wait for its first call before retrying).
    public private(set) var overlappingKeys: [String] = []
    private var keysInFlight: [String: Int] = [:]
    /// Tools run, by name, in order (a call answered from an earlier one with its
    /// `Idempotency-Key` runs nothing).
    public private(set) var toolRuns: [String] = []
    /// The `headers` member of each tool run, in the same order.
    public private(set) var toolHeaders: [[String: String]] = []
    /// The provider headers (`x-openclaw-*-key`, `x-openclaw-default-model`) of each call, in
    /// call order: what a real runtime would hand its model provider.
    public private(set) var providerKeys: [[String: String]] = []
    /// While set, every call hangs for this long before answering (a runtime that does not
    /// answer in time, for testing timeouts and retries).
    public private(set) var stall: Duration?

    public func setStall(_ stall: Duration?) { self.stall = stall }

    /// The pause between the events of a streamed response (none by default).
    public private(set) var streamPause: Duration = .zero

    public func setStreamPause(_ pause: Duration) { streamPause = pause }

    public init(serviceToken: String) {
        self.serviceToken = serviceToken
    }

    /// Adds a pending device pairing request, as a device connecting to the gateway would.
    public func addPendingDevice(tenant: String, requestId: String, deviceId: String) {
        tenants[tenant, default: Tenant()].pendingDevices.append(["requestId": requestId, "deviceId": deviceId, "role": "operator"])
    }

    /// Adds a pending DM pairing request on `channel`, as an unknown sender would.
    public func addPairingRequest(tenant: String, channel: String, code: String, id: String) {
        tenants[tenant, default: Tenant()].pairing[channel, default: []].append(["id": id, "code": code, "createdAt": "2026-11-25T00:00:00Z"])
    }

    func record(_ call: String, key: String?, providerKeys keys: [String: String]) {
        calls.append(call)
        providerKeys.append(keys)
        if let key { idempotencyKeys.append(key) }
    }

    /// A call with `key` (if it has one) starts being answered.
    func begin(key: String?) {
        guard let key else { return }
        if keysInFlight[key, default: 0] > 0 { overlappingKeys.append(key) }
        keysInFlight[key, default: 0] += 1
    }

    /// A call with `key` (if it has one) has been answered.
    func end(key: String?) {
        guard let key else { return }
        keysInFlight[key, default: 1] -= 1
    }

    func tenant(_ id: String) -> Tenant { tenants[id] ?? Tenant() }
    func ranTool(_ tool: String, headers: [String: String]) {
        toolRuns.append(tool)
        toolHeaders.append(headers)
    }
    func update(_ id: String, _ change: (inout Tenant) -> Void) { change(&tenants[id, default: Tenant()]) }

    /// The application serving the runtime's routes.
    public nonisolated func application(host: String = "127.0.0.1", port: Int) -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "openclaw-runtime-simulated"))
    }

    public nonisolated func router() -> Router<BasicRequestContext> {
        let router = Router()
        let v1 = router.group("v1").add(middleware: RuntimeAuth(runtime: self))
        SimulatedRoutes(runtime: self).add(to: v1)
        return router
    }
}

/// The runtime's auth: the service token, then the tenant header.
struct RuntimeAuth: RouterMiddleware {
    typealias Context = BasicRequestContext
    let runtime: SimulatedRuntime

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let token = bearer ?? request.headers[.init("x-openagents-service-token")!], token == runtime.serviceToken else {
            return RuntimeEnvelope.error(.unauthorized, code: "unauthorized", message: "unauthorized")
        }
        var keys: [String: String] = [:]
        for name in ["x-openclaw-openai-key", "x-openclaw-openrouter-key", "x-openclaw-anthropic-key", "x-openclaw-default-model"] {
            if let value = request.headers[.init(name)!] { keys[name] = value }
        }
        let key = request.headers[.init("Idempotency-Key")!]
        await runtime.record("\(request.method) \(request.uri.path)", key: key, providerKeys: keys)
        await runtime.begin(key: key)
        do {
            if let stall = await runtime.stall { try await Task.sleep(for: stall) }
            let response = try await next(request, context)
            await runtime.end(key: key)
            return response
        } catch {
            await runtime.end(key: key)
            throw error
        }
    }
}

/// `{ok:true,data}` and `{ok:false,error:{code,message,details}}`.
enum RuntimeEnvelope {
    static func ok(_ data: Any) -> Response {
        json(["ok": true, "data": data], status: .ok)
    }

    static func error(_ status: HTTPResponse.Status, code: String, message: String) -> Response {
        json(["ok": false, "error": ["code": code, "message": message, "details": NSNull()]], status: status)
    }

    static func json(_ object: Any, status: HTTPResponse.Status) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
