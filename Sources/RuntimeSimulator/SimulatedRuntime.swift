import Foundation
import Hummingbird
import NIOCore

/// A **simulated** OpenClaw runtime, for `clawcloud dev` and the tests: the only fake in the
/// project, standing in for the runtime worker we cannot run here. It behaves as the real one
/// does (its behaviour read from the runtime's and the pinned gateway's source), not as a caller
/// would wish:
///
/// - tenants are **sanitized** into sandbox ids, so `agent:x` and `agent-x` share a sandbox;
/// - `Idempotency-Key` is **ignored**: a repeated call runs again;
/// - the gateway is stopped until a call starts it (status, devices, pairing, tools, sessions,
///   responses); a start takes ``coldStart``; provider-key headers take effect only at a start;
/// - device requests and DM pairing codes are **minted by the runtime** (``connectDevice(tenant:deviceId:displayName:platform:)``,
///   ``messageFromUnknownSender(tenant:channel:sender:)``), live 5 minutes and 1 hour, and an
///   approval of an unknown one fails as the real one does;
/// - exec approvals are listed and resolved on the two routes ClawCloud asks the runtime to add
///   (`GET /v1/exec-approvals`, `POST /v1/exec-approvals/:id/resolve`; docs/runtime-contract.md);
/// - session results come wrapped as the gateway's tool results (`{content, details}`);
/// - `/v1/responses` always answers `200 text/event-stream`, a non-streamed chat as one JSON
///   body under that label, a gateway error too; the stream is cut into byte chunks that may
///   split a character, and can fail midway.
///
/// Nothing is ever pushed to ClawCloud. State is in memory. Every call is counted (``calls``)
/// so that tests can see what reached the runtime. ``SimulatorControls`` act as devices and
/// senders would, over HTTP, for `clawcloud dev`.
public actor SimulatedRuntime {
    static let deviceTTLms: Int64 = 5 * 60 * 1_000
    static let pairingTTL: TimeInterval = 3_600
    static let maxPendingPairing = 3
    static let codeAlphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")

    public let serviceToken: String
    var sandboxes: [String: SimulatedSandbox] = [:]
    private var clockOffset: TimeInterval = 0

    /// `METHOD path` of every authenticated call, in order.
    public private(set) var calls: [String] = []
    /// The sandbox id of each call, in the same order.
    public private(set) var callSandboxes: [String] = []
    /// The provider headers (`x-openclaw-*-key`, `x-openclaw-default-model`) of each call.
    public private(set) var providerKeys: [[String: String]] = []
    /// Tools run, by name, in order.
    public private(set) var toolRuns: [String] = []
    /// The `headers` member of each tool run, in the same order.
    public private(set) var toolHeaders: [[String: String]] = []
    /// Messages delivered to sessions (by `send` or the `sessions_send` tool), as `key: text`.
    public private(set) var deliveries: [String] = []
    /// Gateway starts (cold starts and restarts), by sandbox.
    public private(set) var starts: [String] = []

    /// How long a stopped gateway takes to start (the real one waits up to 90 s).
    public private(set) var coldStart: Duration = .zero
    /// Extra time a route takes, by `METHOD /v1/path-pattern` (e.g. `POST /v1/gateway/restart`).
    public private(set) var delays: [String: Duration] = [:]
    /// While set, every call hangs this long before it is handled.
    public private(set) var stall: Duration?
    /// The pause between the chunks of a streamed response.
    public private(set) var streamPause: Duration = .zero
    /// The byte size of the chunks a streamed response is cut into (a chunk may end inside a character).
    public private(set) var chunkSize = 61
    /// When set, a streamed response fails with `response.failed` after this many text deltas.
    public private(set) var failAfterDeltas: Int?
    /// The status a session send answers with: `ok` (with a reply), `accepted`, `timeout`, `error` or `forbidden`.
    public private(set) var sendStatus = "ok"

    public init(serviceToken: String) {
        self.serviceToken = serviceToken
    }

    // MARK: Controls

    public func setColdStart(_ duration: Duration) { coldStart = duration }
    public func setDelay(_ route: String, _ duration: Duration?) { delays[route] = duration }
    public func setStall(_ stall: Duration?) { self.stall = stall }
    public func setStreamPause(_ pause: Duration) { streamPause = pause }
    public func setChunkSize(_ size: Int) { chunkSize = max(1, size) }
    public func setFailAfterDeltas(_ count: Int?) { failAfterDeltas = count }
    public func setSendStatus(_ status: String) { sendStatus = status }
    /// Moves the runtime's clock (for time-to-live tests).
    public func advanceClock(by seconds: TimeInterval) { clockOffset += seconds }
    /// Stops a tenant's gateway, as an idle container is stopped.
    public func stopGateway(tenant: String) { sandboxes[Self.sanitize(tenant), default: .init()].gateway = .stopped }

    /// A device connects to the tenant's gateway and asks to pair: the gateway mints the request.
    @discardableResult
    public func connectDevice(tenant: String, deviceId: String, displayName: String? = nil, platform: String? = nil) -> String {
        let requestId = UUID().uuidString.lowercased()
        let device = SimulatedSandbox.PendingDevice(
            requestId: requestId, deviceId: deviceId, publicKey: "pk_\(deviceId)", displayName: displayName, platform: platform,
            clientId: "openclaw-control-ui", clientMode: "webchat", role: "operator", scopes: ["operator.read", "operator.write"], ts: nowMs)
        sandboxes[Self.sanitize(tenant), default: .init()].pendingDevices.append(device)
        return requestId
    }

    /// An unknown sender writes to the tenant's agent on `channel`: the gateway mints a pairing
    /// code (or returns the sender's live one); nil when 3 are already pending.
    @discardableResult
    public func messageFromUnknownSender(tenant: String, channel: String, sender: String) -> String? {
        let id = Self.sanitize(tenant)
        var sandbox = sandboxes[id, default: .init()]
        sandbox.prune(now: now)
        var requests = sandbox.pairing[channel] ?? []
        if let index = requests.firstIndex(where: { $0.id == sender }) {
            requests[index].lastSeenAt = now
            sandbox.pairing[channel] = requests
            sandboxes[id] = sandbox
            return requests[index].code
        }
        guard requests.count < Self.maxPendingPairing else { sandboxes[id] = sandbox; return nil }
        let code = String((0..<8).map { _ in Self.codeAlphabet.randomElement()! })
        requests.append(.init(id: sender, code: code, createdAt: now, lastSeenAt: now, meta: ["name": sender]))
        sandbox.pairing[channel] = requests
        sandboxes[id] = sandbox
        return code
    }

    /// The agent asks before running `command`: an exec approval the gateway waits on (30 minutes).
    @discardableResult
    public func requestExecApproval(tenant: String, command: String) -> String {
        let id = UUID().uuidString.lowercased()
        sandboxes[Self.sanitize(tenant), default: .init()].execApprovals.append(
            .init(id: id, command: command, sessionKey: "agent:main:main", expiresAtMs: nowMs + 30 * 60 * 1_000))
        return id
    }

    /// The decisions the tenant's gateway received, by exec approval id.
    public func execDecisions(tenant: String) -> [String: String] { sandboxes[Self.sanitize(tenant)]?.execDecisions ?? [:] }

    /// The provider keys the tenant's running gateway was started with.
    public func keysInEffect(tenant: String) -> [String: String] { sandboxes[Self.sanitize(tenant)]?.startedWithKeys ?? [:] }
    /// The DM pairing requests pending on a channel, as the gateway lists them.
    public func pendingCodes(tenant: String, channel: String) -> [String] {
        (sandboxes[Self.sanitize(tenant)]?.pairing[channel] ?? []).map(\.code)
    }
    /// Every sandbox id that holds state.
    public var sandboxIDs: Set<String> { Set(sandboxes.keys) }

    // MARK: Behaviour shared by the routes

    var now: Date { Date().addingTimeInterval(clockOffset) }
    var nowMs: Int64 { Int64(now.timeIntervalSince1970 * 1_000) }

    func record(_ call: String, sandbox: String, providerKeys keys: [String: String]) {
        calls.append(call)
        callSandboxes.append(sandbox)
        providerKeys.append(keys)
    }

    func sandbox(_ id: String) -> SimulatedSandbox { sandboxes[id] ?? SimulatedSandbox() }
    func update<T>(_ id: String, _ change: (inout SimulatedSandbox) -> T) -> T { change(&sandboxes[id, default: .init()]) }

    /// Starts the gateway when it is stopped (a cold start), with the call's provider keys;
    /// a running gateway keeps the keys it was started with.
    func ensureGateway(_ id: String, keys: [String: String]) async {
        guard sandbox(id).gateway != .running else { return }
        let wasStarting = sandbox(id).gateway == .starting
        update(id) { $0.gateway = .starting }
        if !wasStarting {
            starts.append(id)
            update(id) { $0.startedWithKeys = keys }
        }
        if coldStart > .zero { try? await Task.sleep(for: coldStart) }
        update(id) { $0.gateway = .running }
    }

    /// Kills and starts the gateway with the call's provider keys.
    func restartGateway(_ id: String, keys: [String: String]) async {
        update(id) { $0.gateway = .stopped }
        await ensureGateway(id, keys: keys)
    }

    func ranTool(_ tool: String, headers: [String: String]) {
        toolRuns.append(tool)
        toolHeaders.append(headers)
    }

    func delivered(_ key: String, _ text: String) { deliveries.append("\(key): \(text)") }

    /// The application serving the runtime's routes.
    public nonisolated func application(host: String = "127.0.0.1", port: Int) -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "openclaw-runtime-simulated"))
    }

    public nonisolated func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: PlainNotFound())
        let v1 = router.group("v1").add(middleware: RuntimeAuth(runtime: self))
        SimulatedRoutes(runtime: self).add(to: v1)
        SimulatorControls(runtime: self).add(to: router.group("simulator").add(middleware: ControlAuth(runtime: self)))
        return router
    }
}

/// The runtime's auth: `Authorization: Bearer` wins over `x-openagents-service-token`; then the
/// tenant, sanitized; then the route's delay.
struct RuntimeAuth: RouterMiddleware {
    typealias Context = BasicRequestContext
    static let keyHeaders = ["x-openclaw-openai-key", "x-openclaw-openrouter-key", "x-openclaw-anthropic-key", "x-openclaw-default-model"]
    let runtime: SimulatedRuntime

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let token = bearer ?? request.headers[.init("x-openagents-service-token")!], token == runtime.serviceToken else {
            return RuntimeEnvelope.error(.unauthorized, code: "unauthorized", message: "unauthorized")
        }
        var keys: [String: String] = [:]
        for name in Self.keyHeaders {
            if let value = request.headers[.init(name)!] { keys[name] = value }
        }
        await runtime.record("\(request.method) \(request.uri.path)", sandbox: SimulatedRoutes.sandboxID(request), providerKeys: keys)
        if let stall = await runtime.stall { try await Task.sleep(for: stall) }
        return try await next(request, context)
    }
}

/// Hono's answer to an unknown route (there is no 405 anywhere): plain text `404 Not Found`.
struct PlainNotFound: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            return Response(status: .notFound, headers: [.contentType: "text/plain; charset=UTF-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: "404 Not Found")))
        }
    }
}

/// `{ok:true,data}` and `{ok:false,error:{code,message,details}}`.
enum RuntimeEnvelope {
    static func ok(_ data: Any) -> Response {
        json(["ok": true, "data": data], status: .ok)
    }

    static func error(_ status: HTTPResponse.Status, code: String, message: String, details: Any? = nil) -> Response {
        json(["ok": false, "error": ["code": code, "message": message, "details": details ?? NSNull()]], status: status)
    }

    static func json(_ object: Any, status: HTTPResponse.Status) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
