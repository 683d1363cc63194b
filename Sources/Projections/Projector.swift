import Domain
import EventStore
import Foundation
import GRDB
import Synchronization

/// Applies projections to a store's events inside each append transaction (as the store's
/// ``AppendHook``), rebuilds them from the log, and publishes their changes after commit.
///
/// ```swift
/// let projector = Projector.tenant()
/// var configuration = EventStore.Configuration()
/// configuration.hook = projector
/// let store = try EventStore.open(.tenant(id), in: data, configuration: configuration)
/// try await projector.prepare(store)   // builds missing projections, rebuilds changed ones
/// ```
public final class Projector: AppendHook {
    public let projections: [any Projection]
    /// Changes published after each commit.
    public let changes = ChangeFeed()
    /// The catalog as last read (which generation serves each projection); dropped by
    /// ``forget()`` before any write that is not an append (builds, rebuilds, swaps), so it is
    /// always what the file says.
    let catalog = Mutex<[String: ProjectionCatalog.Entry]?>(nil)
    /// Rows the last appends read, for the next ones; see ``forget()``.
    private let rowCache = Mutex(RowCache())

    public init(_ projections: [any Projection]) {
        self.projections = projections
    }

    /// The projections of a tenant store.
    public static func tenant() -> Projector {
        Projector([
            ThreadsIndex(), ThreadMessages(), SessionsView(), BillingSummary(), InstanceStatus(), DevicesAndPairing(),
            ApprovalsQueue(), AuditLog(), HatcheryGraph(), Outbox(),
        ])
    }

    /// The projections of the platform store.
    public static func platform() -> Projector { Projector([AdminDirectory()]) }

    public func projection(named name: String) -> (any Projection)? {
        projections.first { $0.name == name }
    }

    // MARK: Inline

    /// Applies `events` to every projection; the ``DomainEvent``s a command passed along
    /// (`decoded`) are used as they are, other events are decoded from their data.
    public func apply(_ events: [RecordedEvent], decoded: [any Sendable]?, _ db: Database) throws -> (any Sendable)? {
        guard let first = events.first else { return nil }
        let decoded = decoded as? [DomainEvent]
        var targets: [(any Projection, ProjectionRows)] = []
        // Taken out while the append applies: if it fails, the cache is gone with it.
        let workset = Workset(reading: db, cache: rowCache.withLock { cache in
            defer { cache = RowCache() }
            return cache
        })
        let entries = try catalog.withLock { $0 } ?? {
            let entries = try ProjectionCatalog.entries(db)
            if projections.allSatisfy({ entries[$0.name] != nil }) { catalog.withLock { $0 = entries } }
            return entries
        }()
        for projection in projections {
            let entry = try entries[projection.name] ?? buildInPlace(projection, through: first.position - 1, db)
            targets.append((projection, ProjectionRows(projection: projection, generation: entry.generation, workset: workset)))
        }
        for (index, recorded) in events.enumerated() {
            let event = try decoded?[index] ?? DomainEvent(recorded)
            assert(decoded == nil || (try? DomainEvent(recorded)) == event, "the events passed along differ from those stored")
            let context = EventContext(recorded)
            workset.position = recorded.position
            for (projection, rows) in targets { try projection.apply(event, context, rows) }
        }
        let changes = try workset.flush(db, collectChanges: true)
        if let cache = workset.cache { rowCache.withLock { $0 = cache } }
        return changes.isEmpty ? nil : changes
    }

    /// Drops the catalog and the rows kept for later appends: the tables changed, or may have,
    /// other than through ``apply(_:decoded:_:)``.
    public func forget() {
        catalog.withLock { $0 = nil }
        rowCache.withLock { $0 = RowCache() }
    }

    public func committed(_ outputs: [any Sendable]) {
        for case let changes as [ProjectionChange] in outputs { self.changes.publish(changes) }
    }

    /// A projection met for the first time inside an append: built from the log before it, here.
    private func buildInPlace(_ projection: any Projection, through last: Int64, _ db: Database) throws -> ProjectionCatalog.Entry {
        let entry = ProjectionCatalog.Entry(version: projection.version, generation: 1)
        try ProjectionCatalog.createTables(db, projection, generation: entry.generation)
        let builder = Builder(projection: projection, generation: entry.generation)
        try Self.catchUp([builder], after: 0, through: last, db)
        try ProjectionCatalog.setEntry(db, projection.name, entry)
        return entry
    }

    // MARK: Building and rebuilding

    /// An event decoded for projections.
    struct Decoded: Sendable {
        let event: DomainEvent
        let context: EventContext
    }

    static let batchSize = 2_000

    /// Applies the log after `position` (through `last`) to `builders`, batch by batch, inside
    /// the caller's transaction; returns the last position applied.
    @discardableResult
    static func catchUp(_ builders: [Builder], after position: Int64, through last: Int64 = .max, _ db: Database) throws -> Int64 {
        var cursor = position
        while cursor < last {
            let batch = try decode(EventLog.read(after: cursor, through: last, limit: batchSize, db))
            guard let end = batch.last?.context.position else { break }
            for builder in builders {
                try builder.apply(batch)
                try Workset.write(builder.render(sorted: false), db)
            }
            cursor = end
        }
        return cursor
    }

    static func decode(_ events: [RecordedEvent]) throws -> [Decoded] {
        try events.map { recorded in
            Decoded(event: try DomainEvent(recorded),
                    context: EventContext(recorded))
        }
    }

    /// Builds one projection's new generation from decoded events, keeping every row it wrote in
    /// memory so that nothing is read back from disk: applying needs no database, and builders
    /// of different projections run in parallel. Used by one task at a time (hence
    /// `@unchecked Sendable`).
    final class Builder: @unchecked Sendable {
        let projection: any Projection
        let generation: Int
        private let rows: ProjectionRows

        init(projection: any Projection, generation: Int) {
            self.projection = projection
            self.generation = generation
            rows = ProjectionRows(projection: projection, generation: generation, workset: Workset())
        }

        /// Applies a batch to the rows in memory.
        func apply(_ batch: [Decoded]) throws {
            let workset = rows.workset
            for index in batch.indices {
                workset.position = batch[index].context.position
                try projection.apply(batch[index].event, batch[index].context, rows)
            }
        }

        /// The rows changed since the last render, rendered for writing; `sorted`: by table and
        /// key, the order a bulk load inserts fastest.
        func render(sorted: Bool) -> [Workset.Rendered] {
            rows.workset.render(sorted: sorted)
        }
    }
}
