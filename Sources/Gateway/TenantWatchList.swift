import EventStore
import Synchronization

/// The tenants a periodic job visits: every tenant store on disk when the job starts, then those
/// noted since; a tenant stays on the list while the job reports it has work left there.
final class TenantWatchList: Sendable {
    private let tenants = Mutex<Set<TenantID>>([])

    func note(_ tenant: TenantID) {
        tenants.withLock { _ = $0.insert(tenant) }
    }

    /// Notes every tenant with a store in `directory`.
    func noteStores(in directory: DataDirectory) {
        for file in (try? directory.tenantFiles()) ?? [] {
            if case .tenant(let tenant)? = try? EventStore.identity(of: file) { note(tenant) }
        }
    }

    /// Runs `visit` on each listed tenant's store; drops the tenants left with no work. Returns
    /// the work left in all (a tenant whose store cannot be opened counts as one).
    func visit(_ stores: Stores, _ visit: @escaping (TenantID, EventStore) async throws -> Int) async -> Int {
        var left = 0
        for tenant in tenants.withLock({ $0 }) where !Task.isCancelled {
            let pending = (try? await stores.withTenant(tenant) { try await visit(tenant, $0) }) ?? 1
            left += pending
            if pending == 0 { tenants.withLock { _ = $0.remove(tenant) } }
        }
        return left
    }
}
