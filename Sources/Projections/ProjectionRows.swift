import Domain
import Foundation
import GRDB

/// The rows one projection reads and writes while events are applied: a write-back cache over
/// its tables. A row is loaded once, changed in memory (in place) by every event that touches
/// it, and written once by ``Workset/flush(_:collectChanges:)`` — so a thread's row updated by a
/// thousand messages in a rebuild batch costs one write, not a thousand.
public final class ProjectionRows {
    let projection: String
    private let collections: [String]
    private let generation: Int
    let workset: Workset
    /// The tables touched so far: most events touch no table of most projections.
    private var tables: [String: Workset.Table] = [:]

    init(projection: any Projection, generation: Int, workset: Workset) {
        self.projection = projection.name
        self.collections = projection.collections
        self.generation = generation
        self.workset = workset
    }

    private func table(_ collection: String) -> Workset.Table {
        if let table = tables[collection] { return table }
        guard collections.contains(collection) else { preconditionFailure("\(projection) has no collection \(collection)") }
        let table = workset.table(projection: projection, collection: collection,
                                  name: ProjectionCatalog.table(projection, collection, generation: generation))
        tables[collection] = table
        return table
    }

    /// The row at `key`, or nil.
    public func row(_ collection: String, _ key: String) throws -> Row? {
        try workset.load(table(collection), key).row
    }

    /// Writes the row at `key`.
    public func put(_ collection: String, _ key: String, _ row: Row, scope: String = "", sort: Int64 = 0) {
        workset.mark(table(collection), key) { $0.row = row; $0.scope = scope; $0.sort = sort }
    }

    /// Changes the row at `key` in place, creating it from `initial` when missing.
    public func update(_ collection: String, _ key: String, scope: String = "", sort: Int64 = 0, initial: () -> Row, _ change: (inout Row) -> Void) throws {
        let table = table(collection)
        _ = try workset.load(table, key)
        workset.mark(table, key) { slot in
            if slot.row == nil { slot.row = initial() }
            change(&slot.row!)
            slot.scope = scope
            slot.sort = sort
        }
    }

    /// Changes the row at `key` if there is one; keeps its scope and sort unless given.
    @discardableResult
    public func updateExisting(_ collection: String, _ key: String, scope: String? = nil, sort: Int64? = nil, _ change: (inout Row) -> Void) throws -> Bool {
        let table = table(collection)
        guard try workset.load(table, key).row != nil else { return false }
        workset.mark(table, key) { slot in
            change(&slot.row!)
            if let scope { slot.scope = scope }
            if let sort { slot.sort = sort }
        }
        return true
    }

    /// The highest `sort` given to a row of `scope` in `collection`, or nil when it has none —
    /// for numbering rows in order (a thread's messages) without a counter row. Only for
    /// collections whose rows are never deleted: a delete does not lower it.
    public func top(_ collection: String, scope: String) throws -> Int64? {
        try workset.top(table(collection), scope: scope)
    }

    /// Deletes the row at `key`.
    public func delete(_ collection: String, _ key: String) {
        workset.mark(table(collection), key) { $0.row = nil }
    }
}

/// The write-back cache of every projection for one apply (one append, or a whole rebuild).
public final class Workset {
    /// One table's cached rows.
    final class Table {
        let projection: String
        let collection: String
        let name: String
        /// A new table of a rebuild: nothing to load.
        let startsEmpty: Bool
        var slots: [String: Slot] = [:]
        /// The highest sort of each scope, once a projection asked for one (see
        /// ``Workset/top(_:scope:)``): kept up to date from then on.
        var tops: [String: Int64]?
        /// Scopes whose stored rows were asked about.
        var storedTops: Set<String> = []

        init(projection: String, collection: String, name: String, startsEmpty: Bool) {
            self.projection = projection
            self.collection = collection
            self.name = name
            self.startsEmpty = startsEmpty
        }
    }

    struct Slot {
        var row: Row?
        var scope = ""
        var sort: Int64 = 0
        var position: Int64 = 0
        var dirty = false
        /// The row was in the table when loaded (so it has no tombstone to clear).
        var stored = false
        /// The slot was read (from the table or the ``RowCache``), not only written.
        var loaded = false

        /// Applies `change` as made by the event at `position`; true when this is the slot's
        /// first change since the last flush.
        mutating func change(at position: Int64, _ change: (inout Slot) -> Void) -> Bool {
            let first = !dirty
            dirty = true
            self.position = position
            change(&self)
            return first
        }
    }

    /// Where rows not yet in the cache are loaded from (nil: every table started empty).
    private let db: Database?
    /// Rows earlier appends read (see ``RowCache``), consulted before `db` and brought up to
    /// date by ``flush(_:collectChanges:)``; nil for a rebuild's workset.
    private(set) var cache: RowCache?
    /// Keeps rows after a flush (a rebuild keeps every row it wrote, so it never reads one back).
    private let keepsRows: Bool
    private var tables: [Table] = []
    private var order: [(table: Table, key: String)] = []
    /// The position of the event being applied; stamped on the rows it changes.
    var position: Int64 = 0

    /// A workset for one append, loading rows from `cache`, else from `db`.
    init(reading db: Database, cache: RowCache) {
        self.db = db
        self.cache = cache
        self.keepsRows = false
    }

    /// A workset over new, empty tables that keeps every row it writes: it never touches the
    /// database until it is flushed, so it can be applied on any thread.
    init() {
        self.db = nil
        self.keepsRows = true
    }

    /// A table of this workset.
    func table(projection: String, collection: String, name: String) -> Table {
        let table = Table(projection: projection, collection: collection, name: name, startsEmpty: db == nil)
        tables.append(table)
        return table
    }

    /// The slot of `key`, loaded from the database the first time.
    func load(_ table: Table, _ key: String) throws -> Slot {
        if let slot = table.slots[key] { return slot }
        if let cached = cache?.row(table.name, key) {
            table.slots[key] = cached
            return cached
        }
        var slot = Slot()
        slot.loaded = true
        if !table.startsEmpty, let db,
           let stored = try GRDB.Row.fetchOne(db.cachedStatement(sql: "SELECT scope, sort, position, body FROM \"\(table.name)\" WHERE key = ?"), arguments: [key]) {
            let body: String = stored["body"]
            guard case .object(let members) = try JSONParser.parse(Data(body.utf8)) else {
                throw DatabaseError(message: "row \(key) of \(table.name) is not a JSON object")
            }
            slot.row = Row(members)
            slot.stored = true
            slot.scope = stored["scope"]
            slot.sort = stored["sort"]
            slot.position = stored["position"]
        }
        table.slots[key] = slot
        return slot
    }

    /// Changes the slot of `key` in place and marks it for writing.
    func mark(_ table: Table, _ key: String, _ change: (inout Slot) -> Void) {
        if table.slots[key, default: Slot()].change(at: position, change) { order.append((table, key)) }
        if table.tops != nil, let slot = table.slots[key], slot.row != nil {
            let known = table.tops?[slot.scope] ?? .min
            if slot.sort > known { table.tops?[slot.scope] = slot.sort }
        }
    }

    /// The highest sort in `scope`: of the rows written through this workset (tracked from the
    /// first call on), and of the stored rows (one indexed query per scope) unless the table
    /// started empty.
    func top(_ table: Table, scope: String) throws -> Int64? {
        if table.tops == nil {
            var tops: [String: Int64] = [:]
            for slot in table.slots.values where slot.row != nil { tops[slot.scope] = max(tops[slot.scope] ?? .min, slot.sort) }
            table.tops = tops
        }
        if !table.startsEmpty, let db, table.storedTops.insert(scope).inserted {
            let stored = try cache?.top(table.name, scope)
                ?? Int64.fetchOne(db.cachedStatement(sql: "SELECT max(sort) FROM \"\(table.name)\" WHERE scope = ?"), arguments: [scope])
            if let stored {
                let known = table.tops?[scope] ?? .min
                table.tops?[scope] = max(known, stored)
            }
        }
        return table.tops?[scope]
    }

    /// A changed row, rendered: its JSON body (nil for a delete) ready to be written.
    struct Rendered: Sendable {
        let projection: String
        let collection: String
        let table: String
        let key: String
        let scope: String
        let sort: Int64
        let position: Int64
        let body: [UInt8]?
        /// The row was in the table before this change (no tombstone can exist for it).
        let wasStored: Bool
    }

    /// Renders every changed row, in the order rows were first changed (`sorted`: by table and
    /// key instead), and forgets the changes (rows stay cached when the workset keeps rows).
    /// Needs no database.
    func render(sorted: Bool = false) -> [Rendered] {
        if sorted { order.sort { $0.table === $1.table ? $0.key < $1.key : $0.table.name < $1.table.name } }
        var rendered: [Rendered] = []
        rendered.reserveCapacity(order.count)
        for (table, key) in order {
            guard let slot = table.slots[key] else { continue }
            var body: [UInt8]?
            if let row = slot.row {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(256)
                row.write(into: &bytes)
                body = bytes
            }
            rendered.append(Rendered(projection: table.projection, collection: table.collection, table: table.name, key: key, scope: slot.scope, sort: slot.sort, position: slot.position, body: body,
                                     wasStored: slot.stored))
        }
        forgetChanges()
        return rendered
    }

    /// Writes rendered rows into `db`. With `tombstones`, a deleted row leaves its key and
    /// position in `projection_tombstones` (and a row written again takes its tombstone away),
    /// so that a reader resuming from an older position learns of the delete.
    /// `tombstonesEmpty`: the tombstones table is known to be empty, so new rows have none to take away.
    static func write(_ rendered: [Rendered], _ db: Database, tombstones: Bool = false, tombstonesEmpty: Bool = false) throws {
        var writers: [String: RowWriter] = [:]
        for row in rendered {
            let writer = try writers[row.table] ?? RowWriter(db, table: row.table)
            writers[row.table] = writer
            if let body = row.body {
                try writer.put(row.key, scope: row.scope, sort: row.sort, position: row.position, body: body)
                if tombstones && !tombstonesEmpty && !row.wasStored {
                    try db.cachedStatement(sql: "DELETE FROM projection_tombstones WHERE projection = ? AND collection = ? AND key = ?")
                        .execute(arguments: [row.projection, row.collection, row.key])
                }
            } else {
                try writer.remove(row.key)
                if tombstones {
                    try db.cachedStatement(sql: """
                        INSERT INTO projection_tombstones (projection, collection, key, position) VALUES (?, ?, ?, ?)
                        ON CONFLICT DO UPDATE SET position = excluded.position
                        """).execute(arguments: [row.projection, row.collection, row.key, row.position])
                }
            }
        }
    }

    /// Writes every changed row into `db`; returns the changes in the order rows were first changed.
    func flush(_ db: Database, collectChanges: Bool) throws -> [ProjectionChange] {
        var changes: [ProjectionChange] = []
        if collectChanges {
            changes.reserveCapacity(order.count)
            for (table, key) in order {
                guard let slot = table.slots[key] else { continue }
                changes.append(ProjectionChange(
                    projection: table.projection, collection: table.collection, key: key,
                    op: slot.row == nil ? .delete : .upsert, row: slot.row, position: slot.position))
            }
        }
        if cache != nil { keepInCache() }
        let rendered = render()
        guard collectChanges, var cache else {
            try Self.write(rendered, db, tombstones: collectChanges)
            return changes
        }
        let tombstonesEmpty = try cache.tombstonesEmpty
            ?? !(Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM projection_tombstones)")) ?? true)
        try Self.write(rendered, db, tombstones: true, tombstonesEmpty: tombstonesEmpty)
        cache.tombstonesEmpty = tombstonesEmpty && !rendered.contains { $0.body == nil }
        self.cache = cache
        return changes
    }

    /// Brings the cache up to date with this workset's rows as the flush leaves them: keeps the
    /// rows it read, forgets those it only wrote, and keeps the tops of the scopes it asked about.
    private func keepInCache() {
        for table in tables {
            for (key, slot) in table.slots {
                var kept = slot
                if kept.dirty { kept.stored = kept.row != nil }
                kept.dirty = false
                cache?.store(kept, at: key, in: table.name, keep: slot.loaded)
            }
            for scope in table.storedTops { cache?.storeTop(table.tops?[scope], of: scope, in: table.name) }
        }
        cache?.trim()
    }

    private func forgetChanges() {
        if keepsRows {
            for (table, key) in order { table.slots[key]?.dirty = false }
        } else {
            for table in tables { table.slots.removeAll(keepingCapacity: true) }
        }
        order.removeAll(keepingCapacity: true)
    }
}
