import Domain
import EventStore
import Foundation
import GRDB

extension Projector {
    /// Progress of a build: events applied so far, out of the head when it began.
    public typealias Progress = @Sendable (_ done: Int64, _ total: Int64) -> Void

    /// What a rebuild did, and how long each phase took.
    public struct RebuildReport: Sendable, CustomStringConvertible {
        /// Events applied (through the swap).
        public var events: Int64 = 0
        /// Rows the batches wrote to the new tables (a row changed in several batches counts once per batch).
        public var rowsWritten = 0
        /// Reading, applying and writing the log, batch after batch (pipelined).
        public var build: Duration = .zero
        /// Building the secondary indexes over the loaded tables.
        public var index: Duration = .zero
        /// Catching up with what was appended meanwhile, and the swap.
        public var swap: Duration = .zero
        /// Dropping the retired generation.
        public var cleanup: Duration = .zero

        public var description: String {
            func ms(_ duration: Duration) -> String { "\(duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000) ms" }
            return "\(events) events, \(rowsWritten) rows written; build \(ms(build)), index \(ms(index)), swap \(ms(swap)), cleanup \(ms(cleanup))"
        }
    }

    /// Builds projections this file never had and rebuilds those whose version changed.
    /// - Returns: the names of the projections it built.
    @discardableResult
    public func prepare(_ store: EventStore, progress: Progress? = nil) async throws -> [String] {
        try await store.write { db in
            try ProjectionCatalog.createCatalog(db)
            // Generations a crash left behind: half built, or retired but not yet dropped.
            for projection in self.projections {
                if let active = try ProjectionCatalog.entry(db, projection.name) {
                    try ProjectionCatalog.dropTables(db, projection, except: active.generation)
                }
            }
        }
        let outdated = try await store.read { db in
            try self.projections.filter { try ProjectionCatalog.entry(db, $0.name)?.version != $0.version }.map(\.name)
        }
        if !outdated.isEmpty { try await rebuild(store, only: Set(outdated), progress: progress) }
        return outdated
    }

    /// Rebuilds projections (all, or those named) from the log into new tables while the current
    /// ones keep serving, then swaps them in, in one transaction that also applies whatever was
    /// appended meanwhile.
    ///
    /// Each projection applies a batch on its own task, in memory, while the next batch is read
    /// and decoded and the rows the last one changed are written (in key order, into tables
    /// that have only their primary key). The secondary indexes are built once, at the end.
    @discardableResult
    public func rebuild(_ store: EventStore, only names: Set<String>? = nil, progress: Progress? = nil) async throws -> RebuildReport {
        let targets = projections.filter { names?.contains($0.name) ?? true }
        if let names, let unknown = names.first(where: { name in !projections.contains { $0.name == name } }) {
            throw DomainError.notFound("no projection named \(unknown)")
        }
        let builders = try await store.write { db in
            try targets.map { projection in
                let serving = try ProjectionCatalog.entry(db, projection.name)?.generation ?? 0
                let generation = serving + 1
                // Whatever an earlier build left of another generation goes first.
                try ProjectionCatalog.dropTables(db, projection, except: serving)
                try ProjectionCatalog.createTables(db, projection, generation: generation, indexes: false)
                return Builder(projection: projection, generation: generation)
            }
        }
        let head = store.head
        let clock = ContinuousClock()
        var report = RebuildReport()
        var phase = clock.now
        func endPhase() -> Duration {
            defer { phase = clock.now }
            return clock.now - phase
        }
        var cursor: Int64 = 0
        var next = Task { try await Self.nextBatch(store, after: 0, through: head) }
        var writing: Task<Void, any Error>?
        while true {
            let batch = try await next.value
            guard let last = batch.last?.context.position else { break }
            next = Task { try await Self.nextBatch(store, after: last, through: head) }
            let rendered = try await withThrowingTaskGroup(of: [Workset.Rendered].self) { group in
                for builder in builders { group.addTask { try builder.apply(batch); return builder.render(sorted: true) } }
                return try await group.reduce(into: []) { $0.append(contentsOf: $1) }
            }
            // The rows of this batch are written while the next one is applied.
            report.rowsWritten += rendered.count
            try await writing?.value
            writing = Task { try await Self.writeBuilding(store) { try Workset.write(rendered, $0) } }
            cursor = last
            progress?(cursor, head)
        }
        try await writing?.value
        report.build = endPhase()
        try await Self.writeBuilding(store) { db in
            for builder in builders { try ProjectionCatalog.createIndexes(db, builder.projection, generation: builder.generation) }
        }
        report.index = endPhase()
        let caughtUp = cursor
        // The write has the projector forget its catalog: appends read it afresh after the swap.
        cursor = try await store.write { db in
            // Events appended while the tables were written, then the swap.
            let cursor = try Self.catchUp(builders, after: caughtUp, db)
            for builder in builders {
                try ProjectionCatalog.setEntry(db, builder.projection.name, .init(version: builder.projection.version, generation: builder.generation))
            }
            return cursor
        }
        report.swap = endPhase()
        // The retired generation goes in a transaction of its own: dropping a big table frees
        // every page, and appends should not wait for that behind the swap.
        try await store.write { db in
            for builder in builders { try ProjectionCatalog.dropTables(db, builder.projection, except: builder.generation) }
        }
        report.cleanup = endPhase()
        report.events = cursor
        progress?(cursor, max(head, cursor))
        return report
    }

    /// Writes to the tables being built, in one transaction. They answer no query until the
    /// swap, whose commit is synchronous as the store is configured, so these commits skip the
    /// fsync (`synchronous = NORMAL`; a crash before the swap leaves only tables the next
    /// rebuild drops).
    private static func writeBuilding(_ store: EventStore, _ work: @escaping @Sendable (Database) throws -> Void) async throws {
        try await store.writeWithoutTransaction { db in
            let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? 2
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            let written = Result {
                try db.inTransaction {
                    try work(db)
                    return .commit
                }
            }
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try written.get()
        }
    }

    private static func nextBatch(_ store: EventStore, after position: Int64, through head: Int64) async throws -> [Decoded] {
        guard position < head else { return [] }
        return try decode(try await store.read(after: position, through: head, limit: batchSize))
    }

    /// Every row of every collection of `name` as `{collection: {key: row}}` (for fixtures and tests).
    public func dump(_ db: Database, _ name: String) throws -> JSONValue {
        guard let projection = projection(named: name) else { throw DomainError.notFound("no projection named \(name)") }
        var collections: [String: JSONValue] = [:]
        for collection in projection.collections {
            var rows: [String: JSONValue] = [:]
            if let table = try ProjectionCatalog.activeTable(db, name, collection) {
                for row in try GRDB.Row.fetchAll(db, sql: "SELECT key, body FROM \"\(table)\" ORDER BY key") {
                    let body: String = row["body"]
                    rows[row["key"]] = try JSONParser.parse(Data(body.utf8))
                }
            }
            collections[collection] = .object(rows)
        }
        return .object(collections)
    }

    /// Every row of `name` exactly as stored (key, scope, sort, position, body), for comparing an
    /// inline-built projection with a rebuilt one byte for byte.
    public func storedRows(_ db: Database, _ name: String) throws -> [String] {
        guard let projection = projection(named: name) else { throw DomainError.notFound("no projection named \(name)") }
        return try projection.collections.flatMap { collection -> [String] in
            guard let table = try ProjectionCatalog.activeTable(db, name, collection) else { return [] }
            return try GRDB.Row.fetchAll(db, sql: "SELECT key, scope, sort, position, body FROM \"\(table)\" ORDER BY key").map { row in
                "\(collection)\t\(row["key"] as String)\t\(row["scope"] as String)\t\(row["sort"] as Int64)\t\(row["position"] as Int64)\t\(row["body"] as String)"
            }
        }
    }
}
