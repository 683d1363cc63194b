import EventStore
import Logging
import ServiceLifecycle
import Synchronization

/// Retries runtime side effects left pending because the runtime was unreachable: at start for
/// every tenant store (a crash may have left some), then every `interval` for the tenants known
/// to have some. Each retry carries the effect's id as idempotency key.
public final class OutboxRetrier: Service, Sendable {
    let services: Services
    let interval: Duration
    private let tenants = Mutex<Set<TenantID>>([])

    init(services: Services, interval: Duration = .seconds(5)) {
        self.services = services
        self.interval = interval
    }

    /// Notes that `tenant` has an effect to retry.
    func remember(_ tenant: TenantID) {
        tenants.withLock { _ = $0.insert(tenant) }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.scanAll()
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                await self.retryKnown()
            }
        }
    }

    /// Every tenant store in the data directory: performs what it has pending.
    func scanAll() async {
        let files = (try? services.stores.directory.tenantFiles()) ?? []
        for file in files where !Task.isCancelled {
            guard case .tenant(let tenant)? = try? EventStore.identity(of: file) else { continue }
            remember(tenant)
        }
        await retryKnown()
    }

    func retryKnown() async {
        let known = tenants.withLock { $0 }
        var depth = 0
        for tenant in known where !Task.isCancelled {
            let left = (try? await services.stores.withTenant(tenant) { store in await Effects(services: self.services).performPending(tenant, store) }) ?? 1
            depth += left
            if left == 0 { tenants.withLock { _ = $0.remove(tenant) } }
        }
        services.metrics.setOutboxDepth(depth)
        if depth > 0 { services.logger.info("runtime side effects still pending", metadata: ["count": "\(depth)"]) }
    }
}
