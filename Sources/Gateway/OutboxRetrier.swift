import EventStore
import Logging
import ServiceLifecycle

/// Retries runtime side effects left pending because the runtime was unreachable: at start for
/// every tenant store (a crash may have left some), then every `interval` for the tenants known
/// to have some. Each retry carries the effect's id as idempotency key.
public final class OutboxRetrier: Service, Sendable {
    let services: Services
    let interval: Duration
    private let tenants = TenantWatchList()

    init(services: Services, interval: Duration = .seconds(5)) {
        self.services = services
        self.interval = interval
    }

    /// Notes that `tenant` has an effect to retry.
    func remember(_ tenant: TenantID) {
        tenants.note(tenant)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            self.tenants.noteStores(in: self.services.stores.directory)
            while !Task.isCancelled {
                await self.retryKnown()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    func retryKnown() async {
        let depth = await tenants.visit(services.stores) { tenant, store in
            await Effects(services: self.services).performPending(tenant, store)
        }
        services.metrics.setOutboxDepth(depth)
        if depth > 0 { services.logger.info("runtime side effects still pending", metadata: ["count": "\(depth)"]) }
    }
}
