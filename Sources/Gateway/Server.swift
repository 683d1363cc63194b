import EventStore
import Hummingbird
import Logging
import ServiceLifecycle

/// Runs the server until SIGINT or SIGTERM: in-flight requests finish, streams end, then every
/// store is closed.
public enum Server {
    /// `alongside` are services to run and stop with the server (`clawcloud dev` passes the
    /// simulated runtime).
    public static func run(configuration: GatewayConfiguration, directory: DataDirectory, host: String, port: Int,
                           logger: Logger, alongside: [any Service] = [],
                           onStarted: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let stores = try await Stores.open(directory, logger: logger)
        let services = Services(configuration: configuration, stores: stores, logger: logger)
        var app = Application(
            router: GatewayApp.router(services),
            configuration: .init(address: .hostname(host, port: port), serverName: "clawcloud"),
            onServerRunning: { channel in await onStarted(channel.localAddress?.port ?? port) },
            logger: logger)
        app.logger = logger
        let retrier = OutboxRetrier(services: services)
        services.retrier.withLock { $0 = retrier }
        let sweeper = ExpirySweeper(services: services)
        services.sweeper.withLock { $0 = sweeper }
        // The background work stops after the server (no new work), and waits for what is under way.
        let group = ServiceGroup(configuration: .init(services: alongside + [services.background, app, retrier, sweeper],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            await stores.close()
            throw error
        }
        await stores.close()
        logger.info("stopped; stores closed")
    }
}
