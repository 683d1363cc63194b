import Domain

/// Device pairing requests and paired devices (scope = status), and DM pairing codes per channel
/// (scope = channel).
public struct DevicesAndPairing: Projection {
    public let name = "devices"
    public let version = 1
    public let collections = ["devices", "dm_pairing"]
    public init() {}

    public func apply(_ event: DomainEvent, _ context: EventContext, _ rows: ProjectionRows) throws {
        let at = context.recordedAt
        switch event {
        case .devicePairingRequested(let e):
            rows.put("devices", e.requestId, [
                "requestId": .string(e.requestId), "deviceId": .string(e.deviceId), "role": .string(e.role),
                "client": ["platform": json(e.platform), "mode": json(e.mode)], "displayName": json(e.displayName),
                "scopes": json(e.scopes), "status": "pending", "requestedAt": .integer(at), "expiresAt": .integer(e.expiresAt),
                "pairedAt": .null, "resolvedBy": .null,
            ], scope: "pending", sort: at)
        case .deviceApproved(let e):
            try device(e.requestId, "paired", by: e.by, rows) { $0["pairedAt"] = .integer(at) }
        case .deviceRejected(let e):
            try device(e.requestId, "rejected", by: e.by, rows) { _ in }
        case .deviceExpired(let e):
            try device(e.requestId, "expired", by: nil, rows) { _ in }
        case .deviceRemoved(let e):
            try device(e.requestId, "removed", by: e.by, rows) { _ in }
        case .dmPairingRequested(let e):
            rows.put("dm_pairing", "\(e.channel)/\(e.code)", [
                "id": .string(e.requestId), "channel": .string(e.channel), "account": .string(e.account), "peer": .string(e.peer),
                "code": .string(e.code), "status": "pending", "createdAt": .integer(at), "expiresAt": .integer(e.expiresAt),
                "resolvedBy": .null, "notify": .null,
            ], scope: e.channel, sort: at)
        case .dmPairingApproved(let e):
            try code(e.channel, e.code, "approved", by: e.by, rows) { $0["notify"] = .bool(e.notify) }
        case .dmPairingRejected(let e):
            try code(e.channel, e.code, "rejected", by: e.by, rows) { _ in }
        case .dmPairingExpired(let e):
            try code(e.channel, e.code, "expired", by: nil, rows) { _ in }
        default: break
        }
    }

    private func device(_ requestId: String, _ status: String, by: String?, _ rows: ProjectionRows, _ change: (inout Row) -> Void) throws {
        try rows.updateExisting("devices", requestId, scope: status) { row in
            row["status"] = .string(status)
            if let by { row["resolvedBy"] = .string(by) }
            change(&row)
        }
    }

    private func code(_ channel: String, _ code: String, _ status: String, by: String?, _ rows: ProjectionRows, _ change: (inout Row) -> Void) throws {
        try rows.updateExisting("dm_pairing", "\(channel)/\(code)") { row in
            row["status"] = .string(status)
            if let by { row["resolvedBy"] = .string(by) }
            change(&row)
        }
    }
}
