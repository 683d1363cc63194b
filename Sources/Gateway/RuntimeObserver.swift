import Domain
import EventStore
import Foundation
import Hummingbird
import Projections

/// Records what ClawCloud read from the runtime: the runtime is the source of truth for what lives
/// in the gateway (device requests, DM pairing codes, sessions, status), and never tells ClawCloud
/// of them. Every read a user makes that reaches the runtime, and every effect's reconciliation,
/// passes its answer here; the deciders record what changed since the last observation, and
/// nothing when nothing did. Nothing here calls the runtime on its own.
struct RuntimeObserver {
    let services: Services
    let store: EventStore
    let tenant: TenantID
    let requestID: String

    private var bus: CommandBus { services.bus(store, tenant: tenant, actor: "runtime", requestID: requestID) }

    /// `GET /v1/devices` → `device.pairing_requested` for new requests, `device.expired` (or
    /// `device.approved` by the runtime, when the device is paired there) for requests that left
    /// the pending list. Returns what it read.
    @discardableResult
    func devices(_ data: JSONValue) async throws -> (pending: [ObservedDevice], pairedDeviceIds: Set<String>) {
        let pending = (data["pending"]?.arrayValue ?? []).compactMap(Self.device)
        let paired = Set((data["paired"]?.arrayValue ?? []).compactMap { $0["deviceId"]?.stringValue })
        let known = try await store.read { db in try store.projector.pendingDeviceRequests(db) }
        let observed = Dictionary(pending.map { ($0.requestId, $0) }, uniquingKeysWith: { first, _ in first })
        let ids = Array(Set(known).union(observed.keys)).sorted()
        guard !ids.isEmpty else { return (pending, paired) }
        _ = try await bus.run(reading: ids.map { .stream(Streams.device($0), as: DevicePairingDecider.self) }) { states, decision in
            try ids.flatMap { id -> [DomainEvent] in
                let state = states[Streams.device(id), as: DevicePairingDecider.self]
                let isPaired = state.status == .pending && paired.contains(state.deviceId)
                return try DevicePairingDecider.decide(.observe(requestId: id, device: observed[id], listed: true, paired: isPaired), state, decision)
            }
        }
        return (pending, paired)
    }

    /// `GET /v1/pairing/:channel` → `dm_pairing.requested` with the runtime's codes,
    /// `dm_pairing.expired` for codes that left the list. Returns what it read.
    @discardableResult
    func pairing(channel: String, _ data: JSONValue) async throws -> [ObservedPairingRequest] {
        let requests = (data["requests"]?.arrayValue ?? []).compactMap(Self.pairingRequest)
        let stream = Streams.dmPairing(channel)
        _ = try await bus.run(DmPairingDecider.self, .observe(channel: channel, requests: requests, complete: true), on: stream)
        return requests
    }

    /// `GET /v1/sessions` (the `sessions_list` result, wrapped or not) → `session.observed` for
    /// each session that changed.
    func sessions(_ data: JSONValue) async throws {
        let list = data["details"]?["sessions"]?.arrayValue ?? data["sessions"]?.arrayValue ?? []
        let sessions = list.prefix(500).compactMap(Self.session).filter { (try? SessionDecider.checkKey($0.key)) != nil }
        guard !sessions.isEmpty else { return }
        _ = try await bus.run(reading: sessions.map { .stream(Streams.session($0.key), as: SessionDecider.self) }) { states, decision in
            try sessions.flatMap { session in
                try SessionDecider.decide(.observe(session), states[Streams.session(session.key), as: SessionDecider.self], decision)
            }
        }
    }

    /// `GET /v1/status` → `instance.status_observed` when the status, version or instance type changed.
    @discardableResult
    func status(_ data: JSONValue) async throws -> ObservedStatus? {
        guard let status = Self.status(data) else { return nil }
        _ = try await bus.run(InstanceDecider.self, .observeStatus(gateway: status.gateway, version: status.version, instanceType: status.instanceType),
                              on: Streams.instance)
        return status
    }

    /// `GET /v1/exec-approvals` → `exec_approval.requested` for approvals ClawCloud has not seen.
    /// Returns the pending ids.
    @discardableResult
    func execApprovals(_ data: JSONValue) async throws -> Set<String> {
        let pending = (data["pending"]?.arrayValue ?? []).prefix(500).compactMap(Self.execApproval)
        guard !pending.isEmpty else { return [] }
        _ = try await bus.run(reading: pending.map { .stream(Streams.execApproval($0.id), as: ExecApprovalDecider.self) }) { states, decision in
            try pending.flatMap { approval in
                try ExecApprovalDecider.decide(.observe(approval), states[Streams.execApproval(approval.id), as: ExecApprovalDecider.self], decision)
            }
        }
        return Set(pending.map(\.id))
    }

    static func execApproval(_ entry: JSONValue) -> ObservedExecApproval? {
        guard let id = entry["id"]?.stringValue, let command = entry["command"]?.stringValue else { return nil }
        let decisions = entry["allowedDecisions"]?.arrayValue?.compactMap { $0.stringValue.flatMap(ExecDecision.init(rawValue:)) }
        return ObservedExecApproval(id: id, command: command, cwd: entry["cwd"]?.stringValue, host: entry["host"]?.stringValue,
                                    sessionKey: entry["sessionKey"]?.stringValue, agentId: entry["agentId"]?.stringValue,
                                    allowedDecisions: decisions, expiresAt: entry["expiresAtMs"]?.integerValue)
    }

    static func device(_ entry: JSONValue) -> ObservedDevice? {
        guard let requestId = entry["requestId"]?.stringValue, let deviceId = entry["deviceId"]?.stringValue else { return nil }
        let scopes = (entry["scopes"]?.arrayValue ?? []).compactMap(\.stringValue)
        return ObservedDevice(requestId: requestId, deviceId: deviceId, role: entry["role"]?.stringValue ?? "operator",
                              platform: entry["platform"]?.stringValue, clientMode: entry["clientMode"]?.stringValue,
                              displayName: entry["displayName"]?.stringValue, scopes: scopes,
                              createdAt: entry["ts"]?.integerValue ?? Int64(Date().timeIntervalSince1970 * 1_000))
    }

    static func pairingRequest(_ entry: JSONValue) -> ObservedPairingRequest? {
        guard let code = entry["code"]?.stringValue, let sender = entry["id"]?.stringValue else { return nil }
        let createdAt = entry["createdAt"]?.stringValue.flatMap(millis) ?? Int64(Date().timeIntervalSince1970 * 1_000)
        return ObservedPairingRequest(sender: sender, code: code, account: entry["meta"]?["accountId"]?.stringValue ?? "default", createdAt: createdAt)
    }

    static func session(_ entry: JSONValue) -> ObservedSession? {
        guard let key = entry["key"]?.stringValue else { return nil }
        return ObservedSession(key: key, kind: entry["kind"]?.stringValue ?? "other", channel: entry["channel"]?.stringValue ?? "unknown",
                               displayName: entry["displayName"]?.stringValue, updatedAt: entry["updatedAt"]?.integerValue ?? 0,
                               totalTokens: max(0, entry["totalTokens"]?.integerValue ?? 0))
    }

    static func status(_ data: JSONValue) -> ObservedStatus? {
        guard let text = data["gateway"]?["status"]?.stringValue, let gateway = GatewayStatus(rawValue: text) else { return nil }
        var version: [String: String] = [:]
        if case .object(let members)? = data["version"] { for (name, value) in members { if let value = value.stringValue { version[name] = value } } }
        return ObservedStatus(gateway: gateway, version: version, instanceType: data["container"]?["instanceType"]?.stringValue ?? "unknown",
                              lastBackup: data["lastBackup"]?.stringValue.flatMap(millis))
    }

    /// An ISO 8601 time (with or without fractional seconds) in ms.
    static func millis(_ text: String) -> Int64? {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = format.date(from: text) { return Int64(date.timeIntervalSince1970 * 1_000) }
        format.formatOptions = [.withInternetDateTime]
        return format.date(from: text).map { Int64($0.timeIntervalSince1970 * 1_000) }
    }
}

extension Services {
    /// Reads `path` from the tenant's runtime (its instance must be ready), records what the
    /// answer shows through `record`, and answers the runtime's `data` as it is.
    func observedRead(_ context: ClawContext, _ path: String, _ record: @escaping @Sendable (RuntimeObserver, JSONValue) async throws -> Void) async throws -> Response {
        let tenant = try context.requireTenant()
        return try await stores.withTenant(tenant) { store in
            try await requireInstance(store)
            return Envelope.ok(try await observe(path, store: store, tenant: tenant, requestID: context.requestID, record))
        }
    }

    /// Reads `path` from the tenant's runtime and records what the answer shows; returns it.
    @discardableResult
    func observe(_ path: String, store: EventStore, tenant: TenantID, requestID: String,
                 _ record: @Sendable (RuntimeObserver, JSONValue) async throws -> Void) async throws -> JSONValue {
        let data = try await runtimeClient(for: store, tenant: tenant).call(.GET, path)
        try await record(RuntimeObserver(services: self, store: store, tenant: tenant, requestID: requestID), data)
        return data
    }
}
