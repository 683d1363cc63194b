import Domain
import EventStore
import Foundation
import Projections

/// Carries out the runtime side effects the log asks for (the ``Outbox`` projection's pending
/// rows): calls the runtime with the effect's id as idempotency key and records the outcome.
///
/// A runtime that answers with an error is an outcome (recorded as failed). A runtime that
/// cannot be reached leaves the effect pending: ``performPending(_:_:)`` runs again later (the
/// server retries every few seconds, and after a restart).
struct Effects {
    let services: Services

    /// The effect's outcome as the route answers it (the runtime's `data`).
    ///
    /// One caller at a time performs an effect (the route that released it, a request asking for
    /// the approval's outcome, the retrier): a caller that waited finds it done, and answers as
    /// ``doneOutcome(_:store:)`` says rather than calling the runtime again.
    @discardableResult
    func perform(_ effect: Row, tenant: TenantID, store: EventStore) async throws -> JSONValue {
        guard let id = effect["id"]?.stringValue else { return .null }
        return try await services.inTurn("effect:\(id)", of: store) {
            let current = try await store.read { db in try store.projector.row(db, "outbox", "effects", key: id) }
            guard let current, current["status"] == "pending" else { return try await doneOutcome(effect, store: store) }
            return try await call(current, tenant: tenant, store: store)
        }
    }

    /// What a caller that found the effect done answers: the failure when it failed; for a
    /// backup, `{lastBackup}` from the time it was recorded as taken; else null (the route
    /// answers from the views).
    private func doneOutcome(_ effect: Row, store: EventStore) async throws -> JSONValue {
        if let backupId = effect["backupId"]?.stringValue {
            let backup = try await store.read { db in try store.projector.row(db, "instance", "backups", key: backupId) }
            if backup?["status"] == "failed" { throw RuntimeError(status: 502, message: backup?["reason"]?.stringValue ?? "runtime error") }
            guard let takenAt = backup?["takenAt"]?.integerValue else { return .null }
            return ["lastBackup": .string(Date(timeIntervalSince1970: Double(takenAt) / 1_000).formatted(.iso8601))]
        }
        guard let approvalId = effect["approvalId"]?.stringValue else { return .null }
        let approval = try await store.read { db in try store.projector.row(db, "approvals", "approvals", key: approvalId) }
        if approval?["outcome"]?["result"] == "failed" {
            throw RuntimeError(status: 502, message: approval?["outcome"]?["detail"]?.stringValue ?? "runtime error")
        }
        return .null
    }

    private func call(_ effect: Row, tenant: TenantID, store: EventStore) async throws -> JSONValue {
        guard let runtime = services.runtime else {
            throw APIError(.conflict, "no OpenClaw runtime is configured (CLAWCLOUD_RUNTIME_URL and CLAWCLOUD_SERVICE_TOKEN)")
        }
        guard let id = effect["id"]?.stringValue, let kind = effect["kind"]?.stringValue else { return .null }
        let approvalId = effect["approvalId"]?.stringValue ?? ""
        var data: JSONValue = .null
        var failure: String?
        do {
            switch kind {
            case "provision": data = try await runtime.call(.GET, "/v1/status", tenant: tenant, idempotencyKey: id)
            case "restart": data = try await runtime.call(.POST, "/v1/gateway/restart", tenant: tenant, idempotencyKey: id)
            case "stop": data = try await runtime.call(.POST, "/v1/gateway/stop", tenant: tenant, idempotencyKey: id)
            case "backup": data = try await runtime.call(.POST, "/v1/storage/backup", tenant: tenant, idempotencyKey: id)
            case "approve_device":
                let requestId = effect["requestId"]?.stringValue ?? ""
                data = try await runtime.call(.POST, "/v1/devices/\(Self.segment(requestId))/approve", tenant: tenant, idempotencyKey: id)
            case "approve_pairing":
                let channel = effect["channel"]?.stringValue ?? ""
                data = try await runtime.call(.POST, "/v1/pairing/\(Self.segment(channel))/approve", tenant: tenant,
                                              body: ["code": effect["code"] ?? .null, "notify": effect["notify"] ?? false], idempotencyKey: id)
            default: return .null
            }
        } catch let error as RuntimeError where !error.unreachable {
            failure = error.message
        } catch let error as RuntimeError {
            services.retrier.withLock { $0 }?.remember(tenant)
            throw error
        }
        let outcome = failure
        let bus = services.bus(store, tenant: tenant, actor: "runtime", requestID: id)
        let backupId = effect["backupId"]?.stringValue ?? ""
        let runtimeName = "openclaw-\(tenant.rawValue.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.map(String.init).joined())"
        let approvalStream = Streams.approval(approvalId)
        _ = try await bus.run(reading: [.stream(Streams.instance, as: InstanceDecider.self), .stream(approvalStream, as: ApprovalDecider.self)]) { states, context in
            let instance = states[Streams.instance, as: InstanceDecider.self]
            let approval = states[approvalStream, as: ApprovalDecider.self]
            var events: [DomainEvent] = []
            switch kind {
            case "provision":
                events = try InstanceDecider.decide(outcome.map { .recordProvisionFailed(reason: $0) } ?? .recordProvisioned(runtimeName: runtimeName), instance, context)
            case "restart":
                events = try InstanceDecider.decide(outcome.map { .recordRestartFailed(reason: $0) } ?? .recordRestarted, instance, context)
            case "backup":
                return try InstanceDecider.decide(outcome.map { .recordBackupFailed(backupId: backupId, reason: $0) }
                    ?? .recordBackupTaken(backupId: backupId, objectKey: "openclaw/\(tenant.rawValue)/\(backupId).tar.gz", bytes: nil, sha256: nil),
                    instance, context)
            default: break
            }
            return events + (try ApprovalDecider.decide(
                .recordExecuted(approvalId: approvalId, outcome: outcome == nil ? .succeeded : .failed, detail: outcome), approval, context))
        }
        if let outcome { throw RuntimeError(status: 502, message: outcome) }
        return data
    }

    /// Performs every pending effect of the tenant; returns how many are still pending.
    @discardableResult
    func performPending(_ tenant: TenantID, _ store: EventStore) async -> Int {
        let pending = (try? await store.read { db in try store.projector.rows(db, "outbox", "effects", RowQuery(scope: "pending", order: .ascending, limit: 100)) }) ?? []
        var left = 0
        for effect in pending {
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
