import Foundation
import Domain
import EventStore
import Projections
import ServiceLifecycle

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
    private let watched = TenantWatchList()

    init(services: Services, interval: Duration = .seconds(15)) {
        self.services = services
        self.interval = interval
    }

    /// Notes that `tenant` may have something to expire later.
    func watch(_ tenant: TenantID) {
        watched.note(tenant)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            self.watched.noteStores(in: self.services.stores.directory)
            while !Task.isCancelled {
                await self.sweepWatched()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    func sweepWatched() async {
        _ = await watched.visit(services.stores) { tenant, store in try await self.sweep(tenant, store) }
    }

    /// Expires what is due in one store; returns how many expirable items are still pending.
    @discardableResult
    func sweep(_ tenant: TenantID, _ store: EventStore) async throws -> Int {
        let expiring = try await store.read { db in try store.projector.expiring(db) }
        let now = Int64((Date.now.timeIntervalSince1970 * 1000).rounded(.down))
        let bus = services.bus(store, tenant: tenant, actor: "system", requestID: "expiry")
        var pending = 0
        for entry in expiring {
            guard entry.expiresAt <= now else { pending += 1; continue }
            switch entry.item {
            case .heldApproval(let id): _ = try await bus.run(ApprovalDecider.self, .expire(approvalId: id), on: Streams.approval(id))
            case .execApproval(let id): _ = try await bus.run(ExecApprovalDecider.self, .expire(id: id), on: Streams.execApproval(id))
            case .deviceRequest(let requestId): _ = try await bus.run(DevicePairingDecider.self, .expire(requestId: requestId), on: Streams.device(requestId))
            case .dmCode(let channel): _ = try await bus.run(DmPairingDecider.self, .expire(channel: channel), on: Streams.dmPairing(channel))
            }
        }
        return pending
    }
}
