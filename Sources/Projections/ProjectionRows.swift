import Domain
import Foundation
import GRDB

/// The rows one projection reads and writes while events are applied: a write-back cache over
/// its tables. A row is loaded once, changed in memory by every event that touches it, and
/// written once by ``Workset/flush()`` — so a thread's row updated by a thousand messages in a
/// rebuild batch costs one write, not a thousand.
public final class ProjectionRows {
    let projection: String
    let tables: [String: String]
    let workset: Workset

    init(projection: String, tables: [String: String], workset: Workset) {
        self.projection = projection
        self.tables = tables
        self.workset = workset
    }

    private func table(_ collection: String) -> String {
        guard let table = tables[collection] else { preconditionFailure("\(projection) has no collection \(collection)") }
        return table
    }

    /// The row at `key`, or nil.
    public func row(_ collection: String, _ key: String) throws -> Row? {
        try workset.row(table(collection), key)
    }

    /// Writes the row at `key`.
    public func put(_ collection: String, _ key: String, _ row: Row, scope: String = "", sort: Int64 = 0) {
        workset.put(Workset.Location(projection: projection, collection: collection, table: table(collection)), key, row, scope: scope, sort: sort)
    }

    /// Changes the row at `key` in place, creating it from `initial` when missing.
    public func update(_ collection: String, _ key: String, scope: String = "", sort: Int64 = 0, initial: () -> Row, _ change: (inout Row) -> Void) throws {
        var row = try self.row(collection, key) ?? initial()
        change(&row)
        put(collection, key, row, scope: scope, sort: sort)
    }

    /// Changes the row at `key` if there is one; keeps its scope and sort unless given.
    @discardableResult
    public func updateExisting(_ collection: String, _ key: String, scope: String? = nil, sort: Int64? = nil, _ change: (inout Row) -> Void) throws -> Bool {
        let table = table(collection)
        guard var row = try workset.row(table, key) else { return false }
        change(&row)
        let (oldScope, oldSort) = workset.placement(table, key)
        put(collection, key, row, scope: scope ?? oldScope, sort: sort ?? oldSort)
        return true
    }

    /// Deletes the row at `key`.
    public func delete(_ collection: String, _ key: String) {
        workset.delete(Workset.Location(projection: projection, collection: collection, table: table(collection)), key)
    }
}

/// The write-back cache of every projection for one apply (one append, or one rebuild batch).
public final class Workset {
    struct Location: Hashable {
        let projection: String
        let collection: String
        let table: String
    }

    struct Slot {
        var location: Location?
        var row: Row?
        var scope = ""
        var sort: Int64 = 0
        var position: Int64 = 0
        var dirty = false
    }

    /// Where rows not yet in the cache are loaded from (nil: every table started empty).
    private let db: Database?
    /// Tables known to be empty when the work began (a rebuild's new tables): nothing to load.
    private let emptyTables: Set<String>
    /// Keeps rows after a flush (a rebuild keeps every row it wrote, so it never reads one back).
    private let keepsRows: Bool
    private var slots: [String: [String: Slot]] = [:]
    private var order: [(table: String, key: String)] = []
    /// The position of the event being applied; stamped on the rows it changes.
    var position: Int64 = 0

    /// A workset for one append, loading rows from `db`.
    init(reading db: Database) {
        self.db = db
        self.emptyTables = []
        self.keepsRows = false
    }

    /// A workset over new, empty tables that keeps every row it writes: it never touches the
    /// database until it is flushed, so it can be applied on any thread.
    init(building tables: Set<String>) {
        self.db = nil
        self.emptyTables = tables
        self.keepsRows = true
    }

    func row(_ table: String, _ key: String) throws -> Row? {
        if let slot = slots[table]?[key] { return slot.row }
        var slot = Slot()
        if !emptyTables.contains(table) {
            guard let db else { preconditionFailure("\(table) is not cached and there is no database to read") }
            if let stored = try GRDB.Row.fetchOne(db.cachedStatement(sql: "SELECT scope, sort, position, body FROM \"\(table)\" WHERE key = ?"), arguments: [key]) {
                let body: String = stored["body"]
                guard case .object(let members) = try JSONParser.parse(Data(body.utf8)) else {
                    throw DatabaseError(message: "row \(key) of \(table) is not a JSON object")
                }
                slot.row = members
                slot.scope = stored["scope"]
                slot.sort = stored["sort"]
                slot.position = stored["position"]
            }
        }
        slots[table, default: [:]][key] = slot
        return slot.row
    }

    func placement(_ table: String, _ key: String) -> (String, Int64) {
        let slot = slots[table]?[key]
        return (slot?.scope ?? "", slot?.sort ?? 0)
    }

    func put(_ location: Location, _ key: String, _ row: Row, scope: String, sort: Int64) {
        mark(location, key) { $0.row = row; $0.scope = scope; $0.sort = sort }
    }

    func delete(_ location: Location, _ key: String) {
        mark(location, key) { $0.row = nil }
    }

    private func mark(_ location: Location, _ key: String, _ change: (inout Slot) -> Void) {
        var slot = slots[location.table]?[key] ?? Slot()
        if !slot.dirty { order.append((location.table, key)) }
        slot.location = location
        slot.dirty = true
        slot.position = position
        change(&slot)
        slots[location.table, default: [:]][key] = slot
    }

    /// A changed row, rendered: its JSON body (nil for a delete) ready to be written.
    struct Rendered: Sendable {
        let table: String
        let key: String
        let scope: String
        let sort: Int64
        let position: Int64
        let body: [UInt8]?
    }

    /// Renders every changed row, in the order rows were first changed, and forgets the changes
    /// (rows stay cached when the workset keeps rows). Needs no database.
    func render() -> [Rendered] {
        var rendered: [Rendered] = []
        rendered.reserveCapacity(order.count)
        for (table, key) in order {
            guard let slot = slots[table]?[key], slot.location != nil else { continue }
            var body: [UInt8]?
            if let row = slot.row {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(256)
                JSONWriter.write(.object(row), into: &bytes)
                body = bytes
            }
            rendered.append(Rendered(table: table, key: key, scope: slot.scope, sort: slot.sort, position: slot.position, body: body))
        }
        forgetChanges()
        return rendered
    }

    /// Writes rendered rows into `db`.
    static func write(_ rendered: [Rendered], _ db: Database) throws {
        var writers: [String: RowWriter] = [:]
        for row in rendered {
            let writer = try writers[row.table] ?? RowWriter(db, table: row.table)
            writers[row.table] = writer
            if let body = row.body {
                try writer.put(row.key, scope: row.scope, sort: row.sort, position: row.position, body: body)
            } else {
                try writer.remove(row.key)
            }
        }
    }

    /// Writes every changed row into `db`; returns the changes in the order rows were first changed.
    func flush(_ db: Database, collectChanges: Bool) throws -> [ProjectionChange] {
        var changes: [ProjectionChange] = []
        if collectChanges {
            changes.reserveCapacity(order.count)
            for (table, key) in order {
                guard let slot = slots[table]?[key], let location = slot.location else { continue }
                changes.append(ProjectionChange(
                    projection: location.projection, collection: location.collection, key: key,
                    op: slot.row == nil ? .delete : .upsert, row: slot.row.map(JSONValue.object), position: slot.position))
            }
        }
        try Self.write(render(), db)
        return changes
    }

    private func forgetChanges() {
        if keepsRows {
            for (table, key) in order { slots[table]?[key]?.dirty = false }
        } else {
            slots.removeAll(keepingCapacity: true)
        }
        order.removeAll(keepingCapacity: true)
    }
}
