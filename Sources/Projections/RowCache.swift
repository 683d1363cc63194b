/// Projection rows that earlier appends read, kept on the store's writer for the appends after
/// them: a thread's row, read and changed by every message, is then neither queried nor parsed
/// again. Only the ``Projector`` holds one, and it trusts it only while every write to the
/// projection tables is an append it applied: the store calls ``Projector/forget()`` after a
/// rollback and before any other write (see ``AppendHook/forget()``).
struct RowCache {
    /// Rows kept before the cache starts over (per store: a few hot rows per tenant are the point).
    static let capacity = 512

    /// By table name, then key: each row as the last append left it (nil: no such row).
    private(set) var rows: [String: [String: Workset.Slot]] = [:]
    /// By table name, then scope: the highest `sort` of the scope's stored rows (nil: none),
    /// for ``Workset/top(_:scope:)``.
    private(set) var tops: [String: [String: Int64?]] = [:]
    private var count = 0
    /// Whether `projection_tombstones` is empty (nil: not known). While it is, a row written
    /// for the first time has no tombstone to clear.
    var tombstonesEmpty: Bool?

    func row(_ table: String, _ key: String) -> Workset.Slot? { rows[table]?[key] }

    func top(_ table: String, _ scope: String) -> Int64?? { tops[table]?[scope] }

    /// Keeps the slot a flush left at `key` (or forgets the key when `keep` is false, as for a
    /// row written without being read: worth no room, and the cache must not keep an older copy).
    mutating func store(_ slot: Workset.Slot, at key: String, in table: String, keep: Bool) {
        if keep {
            if rows[table, default: [:]].updateValue(slot, forKey: key) == nil { count += 1 }
        } else if rows[table]?.removeValue(forKey: key) != nil {
            count -= 1
        }
        // A row written into a scope whose top is kept raises it.
        if slot.row != nil, let known = tops[table]?[slot.scope] {
            tops[table]?[slot.scope] = max(known ?? .min, slot.sort)
        }
    }

    /// Keeps the top of `scope` (stored rows and what the flush wrote).
    mutating func storeTop(_ top: Int64?, of scope: String, in table: String) {
        tops[table, default: [:]][scope] = top
    }

    /// Starts over when the cache outgrew its capacity.
    mutating func trim() {
        if count > Self.capacity || tops.values.reduce(0, { $0 + $1.count }) > Self.capacity { self = RowCache() }
    }
}
