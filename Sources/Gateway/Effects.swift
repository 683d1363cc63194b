import Domain
import EventStore
import Foundation
import Projections

/// Carries out the runtime side effects the log asks for (the ``Outbox`` projection's open rows)
/// **at most once per recorded intent**, although the runtime ignores idempotency keys.
///
/// An attempt is recorded (`effect.started`) before the call. Then:
/// - the runtime answers: the outcome is recorded (an error answer is a failed outcome);
/// - the call could not be sent: `effect.not_applied`, and the effect is performed again later;
/// - the answer was lost (a timeout, a broken connection, a crash): the attempt stays open and is
///   **reconciled by observing the runtime** (``EffectReconciliation``): the outcome observed is
///   recorded, marked as observed; only an effect that is safe to repeat and provably did not
///   happen is attempted again.
struct Effects {
    let services: Services

    /// The effect's outcome as the route answers it (the runtime's `data`).
    ///
    /// One caller at a time performs an effect (the route that released it, a request asking for
    /// the approval's outcome, the retrier): a caller that waited finds it done, and answers as
    /// ``doneOutcome(_:store:)`` says rather than calling the runtime again.
    @discardableResult
    func perform(_ effect: OutboxEffect, tenant: TenantID, store: EventStore) async throws -> JSONValue {
        try await services.inTurn("effect:\(effect.id)", of: store) {
            let current = try await store.read { db in try store.projector.effect(db, id: effect.id) }
            guard let current, current.status != .done else { return try await doneOutcome(effect, store: store) }
            if current.status == .started { return try await reconcile(current, tenant: tenant, store: store) }
            return try await attempt(current, tenant: tenant, store: store)
        }
    }

    /// Performs the effect within the configured wait: its outcome, or nil when it is still under
    /// way (it goes on in the background; its outcome arrives on `/api/stream`).
    func perform(_ effect: OutboxEffect, tenant: TenantID, store: EventStore, within wait: Duration) async throws -> JSONValue? {
        let work = services.background.start { try await perform(effect, tenant: tenant, store: store) }
        return try await work.value(within: wait)
    }

    /// What a caller that found the effect done answers: the failure when it failed; for a
    /// backup, `{lastBackup}` from the time it was recorded as taken; else null (the route
    /// answers from the views).
    private func doneOutcome(_ effect: OutboxEffect, store: EventStore) async throws -> JSONValue {
        if let backupId = effect.backupId {
            let backup = try await store.read { db in try store.projector.backup(db, id: backupId) }
            if backup?.status == "failed" { throw RuntimeError(status: 502, message: backup?.reason ?? "runtime error") }
            guard let takenAt = backup?.takenAt else { return .null }
            return ["lastBackup": .string(Date(timeIntervalSince1970: Double(takenAt) / 1_000).formatted(.iso8601))]
        }
        guard let approvalId = effect.approvalId else { return .null }
        let approval = try await store.read { db in try store.projector.approval(db, id: approvalId) }
        if let outcome = approval?.outcome, outcome.result == "failed" { throw RuntimeError(status: 502, message: outcome.detail ?? "runtime error") }
        return .null
    }

    /// Records an attempt, calls the runtime once, and records what it answered.
    private func attempt(_ effect: OutboxEffect, tenant: TenantID, store: EventStore) async throws -> JSONValue {
        let id = effect.id, kind = effect.kind
        let bus = services.bus(store, tenant: tenant, actor: "runtime", requestID: id)
        _ = try await bus.run(EffectDecider.self, .start(effectId: id, kind: kind, boot: services.boot), on: Streams.effect(id))
        let flight = "\(store.identity)\n\(id)"
        services.effectsInFlight.withLock { _ = $0.insert(flight) }
        defer { services.effectsInFlight.withLock { _ = $0.remove(flight) } }
        let data: JSONValue
        do {
            data = try await call(effect, kind: kind, tenant: tenant, store: store)
        } catch let error as RuntimeError where !error.unreachable {
            try await record(effect, .failure(error.message), tenant: tenant, store: store)
            throw error
        } catch let error as RuntimeError where !error.mayHaveRun {
            // Never sent: the effect may be performed again.
            _ = try await bus.run(EffectDecider.self, .recordNotApplied(effectId: id, reason: error.message), on: Streams.effect(id))
            services.retrier.withLock { $0 }?.remember(tenant)
            throw error
        } catch let error as RuntimeError {
            // Maybe performed: the attempt stays open, to be reconciled by observing.
            services.retrier.withLock { $0 }?.remember(tenant)
            throw error
        }
        if kind == "approve_device", data["approved"] == false {
            try await record(effect, .failure("the runtime answered approved:false: request \(effect.requestId ?? "") is unknown to it or expired"),
                             tenant: tenant, store: store)
            return data
        }
        try await record(effect, .success(data), tenant: tenant, store: store)
        return data
    }

    /// An open attempt whose answer was lost: observe the runtime, record what it shows, or
    /// attempt again when it is safe and the effect provably did not happen.
    private func reconcile(_ effect: OutboxEffect, tenant: TenantID, store: EventStore) async throws -> JSONValue {
        let id = effect.id, kind = effect.kind
        let bus = services.bus(store, tenant: tenant, actor: "runtime", requestID: id)
        guard let read = EffectReconciliation.read(for: kind, requestId: effect.requestId, channel: effect.channel, code: effect.code) else {
            // Safe to repeat as it is (a status read, a stop).
            _ = try await bus.run(EffectDecider.self, .recordNotApplied(effectId: id, reason: "repeated: safe to repeat"), on: Streams.effect(id))
            return try await attempt(effect, tenant: tenant, store: store)
        }
        let runtime = try await services.runtimeClient(for: store, tenant: tenant)
        let observer = RuntimeObserver(services: services, store: store, tenant: tenant, requestID: id)
        let observation: EffectReconciliation.Observation
        var status: ObservedStatus?
        switch read {
        case .status:
            status = try await observer.status(try await runtime.call(.GET, "/v1/status"))
            guard let status else { throw RuntimeError(status: 502, message: "runtime status: invalid response") }
            observation = .status(status)
        case .devices:
            let devices = try await observer.devices(try await runtime.call(.GET, "/v1/devices"))
            observation = .devices(pending: Set(devices.pending.map(\.requestId)), pairedDeviceIds: devices.pairedDeviceIds)
        case .pairing(let channel, _):
            let requests = try await observer.pairing(channel: channel, try await runtime.call(.GET, "/v1/pairing/\(Self.segment(channel))"))
            observation = .pairing(pendingCodes: Set(requests.map(\.code)))
        case .execApprovals:
            observation = .execApprovals(pendingIds: try await observer.execApprovals(try await runtime.call(.GET, "/v1/exec-approvals")))
        }
        let verdict = EffectReconciliation.verdict(kind: kind, startedAt: effect.startedAt ?? 0, requestId: effect.requestId, deviceId: effect.deviceId,
                                                   code: effect.code, observation)
        switch verdict {
        case .done(let succeeded, let detail):
            let lastBackup = status?.lastBackup.map { JSONValue.string(Date(timeIntervalSince1970: Double($0) / 1_000).formatted(.iso8601)) }
            let data: JSONValue = lastBackup.map { ["lastBackup": $0] } ?? .null
            try await record(effect, succeeded ? .success(data) : .failure(detail), observed: detail, backupAt: status?.lastBackup, tenant: tenant, store: store)
            if !succeeded { throw RuntimeError(status: 502, message: detail) }
            return data
        case .notApplied(let reason):
            _ = try await bus.run(EffectDecider.self, .recordNotApplied(effectId: id, reason: reason), on: Streams.effect(id))
            return try await attempt(effect, tenant: tenant, store: store)
        case .wait:
            services.retrier.withLock { $0 }?.remember(tenant)
            throw RuntimeError(status: 504, message: "the runtime is still carrying out \(kind)", unreachable: true, mayHaveRun: true)
        }
    }

    /// The effect's one runtime call. Provider keys go on every call that may start the gateway
    /// (all but stop and backup).
    private func call(_ effect: OutboxEffect, kind: String, tenant: TenantID, store: EventStore) async throws -> JSONValue {
        let runtime = try await services.runtimeClient(for: store, tenant: tenant, keys: !["stop", "backup"].contains(kind))
        switch kind {
        case "provision": return try await runtime.call(.GET, "/v1/status")
        case "restart": return try await runtime.call(.POST, "/v1/gateway/restart")
        case "stop": return try await runtime.call(.POST, "/v1/gateway/stop")
        case "backup": return try await runtime.call(.POST, "/v1/storage/backup")
        case "approve_device":
            return try await runtime.call(.POST, "/v1/devices/\(Self.segment(effect.requestId ?? ""))/approve")
        case "approve_pairing":
            return try await runtime.call(.POST, "/v1/pairing/\(Self.segment(effect.channel ?? ""))/approve",
                                          body: ["code": effect.code.map(JSONValue.string) ?? .null, "notify": .bool(effect.notify)])
        case "resolve_exec":
            return try await runtime.call(.POST, "/v1/exec-approvals/\(Self.segment(effect.requestId ?? ""))/resolve",
                                          body: ["decision": effect.decision.map(JSONValue.string) ?? .null])
        default: return .null
        }
    }

    private enum Outcome {
        case success(JSONValue)
        case failure(String)
    }

    /// Records how the effect ended: its kind's own event and, for an approval's effect,
    /// `approval.executed`. `observed` (the observation's detail) marks an outcome seen on the
    /// runtime rather than answered by it.
    private func record(_ effect: OutboxEffect, _ outcome: Outcome, observed: String? = nil, backupAt: Millis? = nil, tenant: TenantID, store: EventStore) async throws {
        let id = effect.id, kind = effect.kind
        let (failure, data): (String?, JSONValue) = switch outcome {
        case .success(let answered): (nil, answered)
        case .failure(let message): (message, .null)
        }
        let bus = services.bus(store, tenant: tenant, actor: "runtime", requestID: id)
        let backupId = effect.backupId ?? ""
        let requestId = effect.requestId ?? ""
        let approvalId = effect.approvalId ?? ""
        let runtimeName = "openclaw-\(tenant.rawValue.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.map(String.init).joined())"
        let lastBackup = backupAt ?? data["lastBackup"]?.stringValue.flatMap(RuntimeObserver.millis)
        if kind == "resolve_exec" {
            _ = try await bus.run(ExecApprovalDecider.self, .recordDelivered(id: requestId, outcome: failure == nil ? .succeeded : .failed, detail: failure ?? observed,
                                                                            observed: observed != nil), on: Streams.execApproval(requestId))
            return
        }
        let approvalStream = Streams.approval(approvalId)
        let deviceStream = Streams.device(requestId)
        _ = try await bus.run(reading: [.stream(Streams.instance, as: InstanceDecider.self), .stream(approvalStream, as: ApprovalDecider.self),
                                        .stream(deviceStream, as: DevicePairingDecider.self)]) { states, context in
            let instance = states[Streams.instance, as: InstanceDecider.self]
            let approval = states[approvalStream, as: ApprovalDecider.self]
            var events: [DomainEvent] = []
            switch kind {
            case "provision":
                events = try InstanceDecider.decide(failure.map { .recordProvisionFailed(reason: $0) } ?? .recordProvisioned(runtimeName: runtimeName), instance, context)
            case "restart":
                events = try InstanceDecider.decide(failure.map { .recordRestartFailed(reason: $0) } ?? .recordRestarted, instance, context)
            case "backup":
                return try InstanceDecider.decide(failure.map { .recordBackupFailed(backupId: backupId, reason: $0) }
                    ?? .recordBackupTaken(backupId: backupId, objectKey: "openclaw/\(tenant.rawValue)/\(backupId).tar.gz", bytes: nil, sha256: nil,
                                          at: lastBackup, observed: observed != nil),
                    instance, context)
            case "approve_device" where failure != nil:
                events = try DevicePairingDecider.decide(.recordNotPaired(requestId: requestId), states[deviceStream, as: DevicePairingDecider.self], context)
            default: break
            }
            return events + (try ApprovalDecider.decide(
                .recordExecuted(approvalId: approvalId, outcome: failure == nil ? .succeeded : .failed, detail: failure ?? observed, observed: observed != nil),
                approval, context))
        }
    }

    /// Performs (or reconciles) every open effect of the tenant that no caller in this process is
    /// calling the runtime for; returns how many are still open.
    @discardableResult
    func performPending(_ tenant: TenantID, _ store: EventStore) async -> Int {
        let pending = (try? await store.read { db in try store.projector.openEffects(db) }) ?? []
        var left = 0
        for effect in pending {
            if services.effectsInFlight.withLock({ $0.contains("\(store.identity)\n\(effect.id)") }) {
                left += 1
                continue
            }
            do {
                try await perform(effect, tenant: tenant, store: store)
            } catch let error as RuntimeError where error.unreachable {
                left += 1
            } catch {
                // The outcome was recorded (a runtime error) or the effect no longer applies.
            }
        }
        return left
    }

    /// A path segment, percent-encoded.
    static func segment(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
    }
}
