import EventStore
import Hummingbird
import Logging
import ServiceLifecycle

/// Runs the server until SIGINT or SIGTERM: in-flight requests finish, streams end, then every
/// store is closed.
public enum Server {
    public static func run(configuration: GatewayConfiguration, directory: DataDirectory, host: String, port: Int,
                           logger: Logger, onStarted: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let stores = try await Stores.open(directory, logger: logger)
        let services = Services(configuration: configuration, stores: stores, logger: logger)
        var app = Application(
            router: GatewayApp.router(services),
            configuration: .init(address: .hostname(host, port: port), serverName: "clawcloud"),
            onServerRunning: { channel in await onStarted(channel.localAddress?.port ?? port) },
            logger: logger)
        app.logger = logger
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
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
