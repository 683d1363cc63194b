/// Whose facts a store file holds. Recorded in the file when it is created; a file refuses to open
/// under any other identity, so a misplaced or renamed file can never serve the wrong tenant.
public enum StoreIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The platform store: cross-tenant facts (waitlist, access decisions).
    case platform
    /// One tenant's store.
    case tenant(TenantID)

    /// The spelling stored in the file's `store_info` table.
    var recorded: String {
        switch self {
        case .platform: "platform"
        case .tenant(let id): "tenant:" + id.rawValue
        }
    }

    init(recorded: String) throws {
        if recorded == "platform" {
            self = .platform
        } else if recorded.hasPrefix("tenant:") {
            self = .tenant(try TenantID(String(recorded.dropFirst("tenant:".count))))
        } else {
            throw EventStoreError.corruptStore("unknown store identity \(recorded.debugDescription)")
        }
    }

    public var description: String { recorded }
}
