import Foundation
import Domain
import EventStore
import Projections
import ServiceLifecycle
import Synchronization

/// Records the expiries the rules set — held approvals after 24 h, device pairing requests after
/// 5 minutes, DM pairing codes after 1 hour, exec approvals at their deadline — as events
/// (`approval.expired`, `device.expired`, `dm_pairing.expired`, `exec_approval.expired`), so the
/// views and the audit log show them.
///
/// Sweeps every tenant store at start, then every `interval` the tenants that were written to
/// since, or that still had something pending. The deciders re-check each deadline, so a sweep
/// never expires anything early.
public final class ExpirySweeper: Service, Sendable {
    let services: Services
    let interval: Duration
    private let watched = Mutex<Set<TenantID>>([])

    init(services: Services, interval: Duration = .seconds(15)) {
        self.services = services
        self.interval = interval
    }

    /// Notes that `tenant` may have something to expire later.
    func watch(_ tenant: TenantID) {
        watched.withLock { _ = $0.insert(tenant) }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            for file in (try? self.services.stores.directory.tenantFiles()) ?? [] {
                if case .tenant(let tenant)? = try? EventStore.identity(of: file) { self.watch(tenant) }
            }
            while !Task.isCancelled {
                await self.sweepWatched()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    func sweepWatched() async {
        for tenant in watched.withLock({ $0 }) where !Task.isCancelled {
            let pending = (try? await services.stores.withTenant(tenant) { try await self.sweep(tenant, $0) }) ?? 1
            if pending == 0 { watched.withLock { _ = $0.remove(tenant) } }
        }
    }

    /// Expires what is due in one store; returns how many expirable items are still pending.
    @discardableResult
    func sweep(_ tenant: TenantID, _ store: EventStore) async throws -> Int {
        let (approvals, devices, codes) = try await store.pool.read { db in
            (try store.projector.rows(db, "approvals", "approvals", RowQuery(scope: "pending", limit: 1_000)),
             try store.projector.rows(db, "devices", "devices", RowQuery(scope: "pending", limit: 1_000)),
             try store.projector.rows(db, "devices", "dm_pairing", RowQuery(limit: 1_000)).filter { $0["status"] == "pending" })
        }
        let now = Int64((Date.now.timeIntervalSince1970 * 1000).rounded(.down))
        let bus = services.bus(store, tenant: tenant, actor: "system", requestID: "expiry")
        var pending = 0
        for row in approvals + devices + codes {
            guard let expiresAt = row["expiresAt"]?.integerValue else { continue }
            guard expiresAt <= now else { pending += 1; continue }
            if row["kind"] == "held", let id = row["id"]?.stringValue {
                _ = try await bus.run(reading: [Streams.approval(id)]) { history, context in
                    try ApprovalDecider.decide(.expire(approvalId: id), ApprovalDecider.fold(history[Streams.approval(id)] ?? []), context)
                }
            } else if row["kind"] == "exec", let id = row["id"]?.stringValue {
                _ = try await bus.run(reading: [Streams.execApproval(id)]) { history, context in
                    try ExecApprovalDecider.decide(.expire(id: id), ExecApprovalDecider.fold(history[Streams.execApproval(id)] ?? []), context)
                }
            } else if let requestId = row["requestId"]?.stringValue {
                _ = try await bus.run(reading: [Streams.device(requestId)]) { history, context in
                    try DevicePairingDecider.decide(.expire(requestId: requestId), DevicePairingDecider.fold(history[Streams.device(requestId)] ?? []), context)
                }
            } else if let channel = row["channel"]?.stringValue {
                _ = try await bus.run(reading: [Streams.dmPairing(channel)]) { history, context in
                    try DmPairingDecider.decide(.expire(channel: channel), DmPairingDecider.fold(history[Streams.dmPairing(channel)] ?? []), context)
                }
            }
        }
        return pending
    }
}
