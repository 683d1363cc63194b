import Domain
import Foundation
import EventStore
import Hummingbird
import Logging
import Projections
import Synchronization

/// What every route works with: settings, stores, metrics and the route table.
public final class Services: Sendable {
    public let configuration: GatewayConfiguration
    public let stores: Stores
    public let metrics: Metrics
    public let routes: RouteTable
    /// The OpenClaw runtime, when `CLAWCLOUD_RUNTIME_URL` and `CLAWCLOUD_SERVICE_TOKEN` are set.
    let runtime: RuntimeClient?
    /// Seals tenant secrets, when `CLAWCLOUD_ENCRYPTION_KEY` is set.
    let secretBox: SecretBox?
    /// Agent principals' keys, when `CLAWCLOUD_ENCRYPTION_KEY` is set (their HMAC key derives from it).
    let agentKeys: AgentKeys?
    let logger: Logger
    /// Decoded streams of recent commands.
    let streamCache = StreamCache()
    /// Turns per stream for commands.
    let streamLocks = KeyedLocks()
    /// Set by the server: retries effects the runtime could not be reached for.
    let retrier = Mutex<OutboxRetrier?>(nil)
    /// Set by the server: records expiries.
    let sweeper = Mutex<ExpirySweeper?>(nil)
    /// Work that outlives its request (effects answered `in_progress`, chat recordings).
    public let background = BackgroundWork()
    /// This server process: an effect attempt recorded by another process and left without an
    /// outcome was cut short by a crash or a restart.
    let boot = UUID().uuidString.lowercased()
    /// Effects a caller in this process is calling the runtime for (store and effect id): the
    /// retrier leaves them to that caller instead of queueing behind it.
    let effectsInFlight = Mutex<Set<String>>([])

    public init(configuration: GatewayConfiguration, stores: Stores, logger: Logger) {
        self.configuration = configuration
        self.stores = stores
        self.metrics = Metrics()
        self.routes = RouteTable()
        self.runtime = configuration.runtimeURL.flatMap { url in
            configuration.serviceToken.map {
                RuntimeClient(baseURL: url, serviceToken: $0, timeout: .seconds(Int64(configuration.runtimeTimeoutSeconds)))
                    .adding(configuration.defaultModel.map { [("x-openclaw-default-model", $0)] } ?? [])
            }
        }
        self.secretBox = configuration.encryptionKey.map(SecretBox.init(key:))
        self.agentKeys = configuration.encryptionKey.map { AgentKeys(encryptionKey: $0, stores: stores) }
        self.logger = logger
    }

    /// Runs a command on `store` for the request's caller: see ``CommandBus``.
    func command(
        on store: EventStore, _ request: Request, _ context: ClawContext, actor: String? = nil, reading reads: [StreamRead],
        _ decide: @escaping @Sendable (StreamStates, DecisionContext) throws -> [DomainEvent]
    ) async throws -> CommandBus.Outcome {
        let tenant = try context.requireTenant()
        let key = try request.idempotencyKey()
        if store.identity != .platform { sweeper.withLock { $0 }?.watch(tenant) }
        let bus = self.bus(store, tenant: tenant, actor: actor ?? tenant.rawValue, requestID: context.requestID,
                           idempotency: key.map { .init(scope: "\(request.method) \(request.uri.path)", key: $0, bodyDigest: context.bodyDigest) })
        return try await bus.run(reading: reads, decide)
    }

    /// Runs `command` of `decider` on the state of `stream`, for the request's caller.
    func command<D: Decider>(
        _ decider: D.Type, _ command: D.Command, on stream: String, in store: EventStore, _ request: Request, _ context: ClawContext,
        actor: String? = nil
    ) async throws -> CommandBus.Outcome {
        try await self.command(on: store, request, context, actor: actor, reading: [.stream(stream, as: D.self)]) { states, decision in
            try D.decide(command, states[stream, as: D.self], decision)
        }
    }

    /// Runs `body` in the turn named `name` in `store`: callers with the same name and store take
    /// turns, in arrival order (a tool call, a send's key, an outbox effect, the secrets).
    func inTurn<T>(_ name: String, of store: EventStore, _ body: () async throws -> T) async throws -> T {
        try await streamLocks.withLocks(["\(store.identity)\n\(name)"], body)
    }

    /// A command bus on `store` that shares this server's stream cache and stream turns (every
    /// write goes through one, so the cache stays current).
    func bus(_ store: EventStore, tenant: TenantID, actor: String, requestID: String, idempotency: CommandBus.Idempotency? = nil) -> CommandBus {
        CommandBus(store: store, tenant: tenant.rawValue, actor: actor, requestID: requestID, idempotency: idempotency, metrics: metrics,
                   cache: streamCache)
    }
}

/// Registers routes on a router group and records them in the ``RouteTable``.
struct API {
    let services: Services
    let group: RouterGroup<ClawContext>
    /// The group's path, for the route table (`/api`, `/api/admin`).
    let base: String
    /// The credentials the group's routes need: `tenant`, `admin`, `service` or `public`.
    let access: String

    func route(
        _ method: HTTPRequest.Method, _ path: String, _ summary: String, write: Bool = false, produces: String = "envelope",
        accepts shape: RequestShape = RequestShape(), answers data: JSONValue? = nil,
        _ handler: @escaping @Sendable (Request, ClawContext) async throws -> Response
    ) {
        group.on(RouterPath(path), method: method, use: handler)
        let full = path.isEmpty ? base : "\(base)/\(path)"
        services.routes.add(.init(method: method, path: full, summary: summary, access: access, isWrite: write, produces: produces, shape: shape, data: data))
    }
}
