import Foundation
import GRDB

/// One identity's append-only event log in one SQLite file (WAL; every append flushed to disk
/// before it is acknowledged, see ``WALSyncer`` and ``CommitJournal``).
///
/// ```swift
/// let store = try EventStore.open(.tenant(try TenantID("user_42")), in: DataDirectory(path: "data"))
/// let result = try await store.append(events, to: "thread-1", expecting: .noStream)
/// for try await event in store.subscribe(from: 0) { … }
/// ```
///
/// Appends go through one writer that commits concurrent appends together (see ``GroupCommitter``);
/// reads use a pool of reader connections and never block appends. An acknowledged append has
/// been fsynced.
public final class EventStore: Sendable {
    /// Tunables of a store.
    public struct Configuration: Sendable {
        /// Milliseconds since 1970 UTC, stamped on appended events.
        public var clock: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
        /// `true` (the default): an append is acknowledged only once its commit is flushed to disk
        /// (by the store's ``WALSyncer``, or by ``journal``), and other writes use `synchronous=FULL`. `false`: `synchronous=NORMAL`
        /// and no flush (scratch stores, fixtures, benchmarks).
        public var durable = true
        /// Reader connections in the pool.
        public var maxReaders = 4
        /// Events a live subscriber may fall behind before it is ended.
        public var subscriberBufferCapacity = 10_000
        /// Appends that may share one transaction.
        public var maxBatch = 512
        /// Events per batch for catch-up reads, verification and export.
        public var readBatchSize = 1_000
        /// Largest number of events in one append.
        public var maxEventsPerAppend = 10_000
        /// Runs inside every append transaction (inline projections); see ``AppendHook``.
        public var hook: (any AppendHook)?
        /// `true` (the default): an append that finds the writer idle writes on the caller's
        /// thread, with no hand-off (fastest for a lone writer). `false`: every append is written
        /// on the store's writer queue while the caller awaits — for servers, whose callers run
        /// on the few threads of Swift's cooperative pool, which must never block on an fsync.
        public var writesOnCallerThread = true
        /// The dispatch queue the store's writer queue targets (nil: its own thread). A server
        /// with many stores shares one concurrent queue, so that libdispatch runs a few writers
        /// at a time instead of one thread per busy store.
        public var writerTargetQueue: DispatchQueue?
        /// A journal shared by many durable stores (nil: each flushes its own log). An append is
        /// then acknowledged once the journal's flush covers it: one disk flush for the appends of
        /// every store using the journal, instead of one per store (see ``CommitJournal``).
        public var journal: CommitJournal?
        /// With a ``journal``: how long the store's own transaction may stay open across
        /// acknowledged appends (see ``DeferredCommit``).
        public var deferredCommit = DeferredCommit()

        public init() {}
    }

    /// Whose log this is.
    public let identity: StoreIdentity
    /// The file.
    public let url: URL
    public let configuration: Configuration
    /// The underlying pool. Everything outside the store goes through ``read(_:)``, ``write(_:)``
    /// and ``writeWithoutTransaction(_:)``, which first commit what appends left open.
    let pool: DatabasePool
    let hub: SubscriptionHub
    let committer: GroupCommitter
    /// How appends reach the disk before they are acknowledged.
    let durability: Durability

    /// Opens (or creates) the store of `identity` inside `directory`.
    ///
    /// - Throws: ``EventStoreError/storeNotFound(_:)`` when the file is missing and `create` is
    ///   false; ``EventStoreError/identityMismatch(expected:found:)`` when the file belongs to another identity.
    public static func open(
        _ identity: StoreIdentity, in directory: DataDirectory, create: Bool = true, configuration: Configuration = .init()
    ) throws -> EventStore {
        let url = directory.file(for: identity)
        if create {
            try directory.create()
        } else if !FileManager.default.fileExists(atPath: url.path) {
            throw EventStoreError.storeNotFound(identity.description)
        }
        return try EventStore(identity: identity, url: url, configuration: configuration)
    }

    /// Opens an existing store file under the identity it records, checking that the file sits
    /// where that identity's file belongs in `directory` (for tools that scan a data directory).
    public static func open(existing url: URL, in directory: DataDirectory, configuration: Configuration = .init()) throws -> EventStore {
        let identity = try identity(of: url)
        guard directory.file(for: identity).standardizedFileURL == url.standardizedFileURL else {
            throw EventStoreError.corruptStore("\(url.lastPathComponent) records \(identity) but is not that identity's file")
        }
        return try EventStore(identity: identity, url: url, configuration: configuration)
    }

    /// The identity a store file records (read without opening the store).
    public static func identity(of url: URL) throws -> StoreIdentity {
        _ = SQLiteSetup.applied
        return try DatabaseQueue(path: url.path, configuration: readOnly).read(StoreSchema.recordedIdentity)
    }

    private static var readOnly: GRDB.Configuration {
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        return configuration
    }

    private init(identity: StoreIdentity, url: URL, configuration: Configuration) throws {
        _ = SQLiteSetup.applied
        var grdb = GRDB.Configuration()
        grdb.maximumReaderCount = configuration.maxReaders
        grdb.busyMode = .timeout(10)
        grdb.label = identity.description
        grdb.writeTargetQueue = configuration.writerTargetQueue
        // A journaled store's appends leave their transaction open (see DeferredCommit).
        grdb.allowsUnsafeTransactions = configuration.durable && configuration.journal != nil
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: url.path, configuration: grdb)
            try StoreSchema.migrator.migrate(pool)
            // DatabasePool resets `synchronous` to NORMAL when it opens the writer: set it afterwards.
            // Savepoint journals stay in memory instead of a temp file opened per append.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: configuration.durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
                // Debian builds SQLite with secure_delete on: every page a dropped or emptied
                // table frees is written again as zeros (a rebuild's retired generation: ~15 MB
                // for the long fixture). FAST still clears deleted rows inside the pages a write
                // touches anyway; what freed pages keep is derived from the events in this file.
                try db.execute(sql: "PRAGMA secure_delete = FAST")
                var isNew = false
                try db.inTransaction(.immediate) {
                    isNew = try StoreSchema.claim(db, for: identity)
                    return .commit
                }
                // Move the identity out of the WAL into the main file, so that even a copy of the
                // bare file made while the store is open names its tenant.
                if isNew { try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw EventStoreError.corruptStore("\(url.lastPathComponent) is not a SQLite database")
        }
        let head = try pool.read { try EventRows.head($0).position }
        self.identity = identity
        self.url = url
        self.configuration = configuration
        self.pool = pool
        self.hub = SubscriptionHub(committed: head)
        if configuration.durable {
            let log = WALSyncer(databasePath: url.path, label: identity.description)
            durability = if let journal = configuration.journal { .journal(journal, identity, log: log) } else { .log(log) }
        } else {
            durability = .none
        }
        self.committer = GroupCommitter(pool: pool, hub: hub, clock: configuration.clock, maxBatch: configuration.maxBatch, hook: configuration.hook,
                                        durability: durability, deferred: configuration.deferredCommit,
                                        leaderWritesInline: configuration.writesOnCallerThread)
    }

    // MARK: Appending

    /// Appends `events` to `stream` if its version meets `expected`.
    ///
    /// - Returns: the stored events. When every id was appended before with the same content, the
    ///   original result (``AppendResult/isRetry`` is true) and nothing is written.
    /// - Throws: ``EventStoreError/conflict(stream:expected:actual:)`` with the stream's actual
    ///   version; ``EventStoreError/idempotencyMismatch(eventID:)`` when known ids come with other content.
    @discardableResult
    public func append(_ events: [NewEvent], to stream: String, expecting expected: ExpectedVersion = .any) async throws -> AppendResult {
        try await append([StreamAppend(stream: stream, expected: expected, events: events)])
    }

    /// Appends to several streams atomically: all parts are written in one transaction, or none
    /// is (each part's condition is checked against the state the earlier parts leave).
    @discardableResult
    public func append(_ parts: [StreamAppend]) async throws -> AppendResult {
        try validate(parts)
        return try await committer.append { _ in WriterDecision(parts: parts) }
    }

    /// Decides an append on the store's writer and writes it in the same transaction: `decide`
    /// reads what it needs through ``WriterLog`` (every append before it, acknowledged or not) and
    /// returns the parts. Appends of one store are decided one at a time, in order, so a decision
    /// never races another; callers need no locks of their own. An error `decide` throws fails
    /// this append alone, writing nothing.
    ///
    /// - Returns: the stored events (none when the decision had no parts), once durable.
    @discardableResult
    public func append(deciding decide: @escaping @Sendable (WriterLog) throws -> WriterDecision) async throws -> AppendResult {
        try await committer.append { log in
            let decision = try decide(log)
            if !decision.parts.isEmpty { try self.validate(decision.parts) }
            return decision
        }
    }

    private func validate(_ parts: [StreamAppend]) throws {
        guard !parts.isEmpty, parts.allSatisfy({ !$0.events.isEmpty }) else {
            throw EventStoreError.invalidEvent("an append needs at least one event per stream")
        }
        var ids = Set<UUID>()
        for part in parts {
            guard !part.stream.isEmpty, part.stream.utf8.count <= 256 else {
                throw EventStoreError.invalidEvent("stream name must be 1-256 bytes")
            }
            for event in part.events {
                try event.validate()
                guard ids.insert(event.id).inserted else {
                    throw EventStoreError.invalidEvent("event id \(event.id.storedSpelling) appears twice in one append")
                }
            }
        }
        guard ids.count <= configuration.maxEventsPerAppend else {
            throw EventStoreError.invalidEvent("an append may hold at most \(configuration.maxEventsPerAppend) events")
        }
    }

    // MARK: Database access

    /// Reads the file (projections live in it too), seeing every acknowledged append.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await committer.settle()
        return try await pool.read(body)
    }

    /// Writes to the file in one transaction of its own, on the store's writer.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    /// Runs `body` on the store's writer, outside any transaction (for pragmas, or transactions
    /// `body` manages itself).
    public func writeWithoutTransaction<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.writeWithoutTransaction { db in
            try self.committer.commitOpen(db)
            // What the hook kept from appends may not survive this write (nor its rollback).
            self.configuration.hook?.forget()
            do {
                return try body(db)
            } catch {
                self.configuration.hook?.forget()
                throw error
            }
        }
    }

    // MARK: Reading

    /// The last committed position (0 for an empty log).
    public var head: Int64 { hub.committed }

    /// Up to `limit` events with `after < position <= through`, in order.
    public func read(after position: Int64, through last: Int64 = .max, limit: Int) async throws -> [RecordedEvent] {
        try await read { db in try EventRows.log(after: position, through: last, limit: limit, db) }
    }

    /// The events of `stream` from `version` on (1 = from its start), in order.
    public func readStream(_ stream: String, from version: Int64 = 1, limit: Int = .max) async throws -> [RecordedEvent] {
        try await read { db in try EventRows.stream(stream, from: version, limit: limit, db) }
    }

    /// The event with `id`, if it was appended.
    public func event(id: UUID) async throws -> RecordedEvent? {
        try await read { db in try EventRows.event(id: id, db) }
    }

    /// The current version of `stream` (0 when it has no event).
    public func version(of stream: String) async throws -> Int64 {
        try await read { db in try EventRows.version(of: stream, db) }
    }

    /// Calls `body` with successive batches of the log after `position`, until the head as it was
    /// when reading began.
    public func forEachBatch(after position: Int64 = 0, _ body: ([RecordedEvent]) async throws -> Void) async throws {
        let last = head
        var cursor = position
        while cursor < last {
            let batch = try await read(after: cursor, through: last, limit: configuration.readBatchSize)
            guard let end = batch.last else { break }
            try await body(batch)
            cursor = end.position
        }
    }

    /// Every event after `position`, first from disk, then live. See ``EventSubscription``.
    public func subscribe(from position: Int64) -> EventSubscription {
        EventSubscription(store: self, after: position)
    }

    /// How many live subscribers the store is feeding.
    public var subscriberCount: Int { hub.subscriberCount }

    // MARK: Closing

    /// Writes what is queued, ends subscriptions and closes the file. Later calls throw ``EventStoreError/closed``.
    public func close() async throws {
        committer.close()
        try await writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        committer.markClosed()
        await durability.drain()
        // The checkpoint made the log durable in the file: the log needs no flush from now on.
        durability.log?.close()
        hub.close()
        try pool.close()
    }
}
