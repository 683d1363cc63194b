import Domain
import GRDB

/// Something pending that expires: a held approval, an exec approval, a device pairing request, or
/// a DM pairing code, with its deadline (ms), as the views hold them.
public struct Expiring: Sendable, Equatable {
    public enum Item: Sendable, Equatable {
        case heldApproval(id: String)
        case execApproval(id: String)
        case deviceRequest(requestId: String)
        case dmCode(channel: String)
    }

    public let item: Item
    public let expiresAt: Millis
}

extension Projector {
    /// Every pending item that has a deadline.
    public func expiring(_ db: Database) throws -> [Expiring] {
        var items: [Expiring] = []
        for row in try rows(db, "approvals", "approvals", RowQuery(scope: "pending", limit: 1_000)) {
            guard let id = row.string("id"), let expiresAt = row["expiresAt"]?.integerValue else { continue }
            items.append(Expiring(item: row["kind"] == "exec" ? .execApproval(id: id) : .heldApproval(id: id), expiresAt: expiresAt))
        }
        for row in try rows(db, "devices", "devices", RowQuery(scope: "pending", limit: 1_000)) {
            guard let requestId = row.string("requestId"), let expiresAt = row["expiresAt"]?.integerValue else { continue }
            items.append(Expiring(item: .deviceRequest(requestId: requestId), expiresAt: expiresAt))
        }
        for row in try rows(db, "devices", "dm_pairing", RowQuery(limit: 1_000)) where row["status"] == "pending" {
            guard let channel = row.string("channel"), let expiresAt = row["expiresAt"]?.integerValue else { continue }
            items.append(Expiring(item: .dmCode(channel: channel), expiresAt: expiresAt))
        }
        return items
    }
}
