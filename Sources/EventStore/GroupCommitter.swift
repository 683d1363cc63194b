import Foundation
import GRDB
import Synchronization

/// Serializes a tenant's appends onto the database's single writer and lets concurrent appends
/// share one transaction (one fsync) — leader/follower group commit.
///
/// An append that finds the writer idle becomes the *leader*: it writes its own events, plus any
/// that queued meanwhile, on its own thread, with no hand-off to another thread (hand-offs, not
/// SQL, dominate a lone writer's cost). Appends that arrive while a transaction is being written
/// queue up as *followers*; when that transaction commits, the next one takes every queued append
/// at once, on the database's writer queue. So a lone writer pays one transaction per append and
/// many concurrent writers pay one per batch. Inside a batch each append runs in its own
/// savepoint, so a conflict or a bad retry fails that caller alone. A durable store's commits are
/// flushed after the write lock is released, by its ``WALSyncer`` or by the ``CommitJournal`` it
/// shares with other stores (see ``Durability``); events are published to subscribers only once
/// durable, and callers are resumed after that. With a journal the store's own transaction
/// stays open across appends (see ``DeferredCommit``): ``commitOpen(_:)`` and ``settle()`` end it.
final class GroupCommitter: Sendable {
    /// An append: it decides its parts on the writer, against the log as it stands.
    typealias Work = @Sendable (WriterLog) throws -> WriterDecision

    private struct Follower: Sendable {
        let work: Work
        let continuation: CheckedContinuation<AppendResult, any Error>
    }

    private struct State {
        var queue: [Follower] = []
        var writing = false
        var closed = false
    }

    /// The write transaction a journaled store leaves open across appends (``DeferredCommit``).
    private struct OpenTransaction {
        /// Appends it holds.
        var appends = 0
        /// A timed commit is on its way.
        var commitScheduled = false
        /// The store is closed: its connection must not be touched again.
        var finished = false
        /// Why appends it held were rolled back (a commit failed): the store is broken.
        var lost: EventStoreError?
    }

    private let pool: DatabasePool
    private let hub: SubscriptionHub
    private let clock: @Sendable () -> Int64
    private let maxBatch: Int
    private let hook: (any AppendHook)?
    /// How commits are made durable (after the write lock is released) before they are told.
    private let durability: Durability
    /// Whether a leader writes on its own thread (else every append waits on the writer queue).
    private let leaderWritesInline: Bool
    private let state = Mutex(State())
    /// The last committed position and hash; read and written only on the database writer.
    private let cachedHead = Mutex<Head?>(nil)
    /// The stream versions the writer has seen; dropped with the cached head.
    private let streamVersions = StreamVersions()
    /// With a journal: when the open transaction commits (nil: every batch commits at once).
    private let deferred: DeferredCommit?
    private let open = Mutex(OpenTransaction())
    /// With a journal: the segment below which the store's records are durable in its own file,
    /// and the highest such segment a flush was asked for (see ``CommitJournal/settle(_:below:)``).
    private let settlement = Mutex((settled: 0, requested: 0))

    typealias Head = (position: Int64, hash: EventDigest)

    init(pool: DatabasePool, hub: SubscriptionHub, clock: @escaping @Sendable () -> Int64, maxBatch: Int, hook: (any AppendHook)?,
         durability: Durability, deferred: DeferredCommit? = nil, leaderWritesInline: Bool = true) {
        self.leaderWritesInline = leaderWritesInline
        self.deferred = if case .journal = durability { deferred } else { nil }
        self.pool = pool
        self.hook = hook
        self.durability = durability
        self.hub = hub
        self.clock = clock
        self.maxBatch = maxBatch
    }

    /// Decides and writes one atomic append and returns its own outcome.
    func append(_ work: @escaping Work) async throws -> AppendResult {
        let isLeader: Bool = try state.withLock { state in
            guard !state.closed else { throw EventStoreError.closed }
            guard leaderWritesInline, !state.writing else { return false }
            state.writing = true
            return true
        }
        return try await withCheckedThrowingContinuation { continuation in
            let own = Follower(work: work, continuation: continuation)
            if isLeader { return lead(own) }
            let startWriting: Bool? = state.withLock { state in
                guard !state.closed else { return nil }
                state.queue.append(own)
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            switch startWriting {
            case nil: continuation.resume(throwing: EventStoreError.closed)
            case true?: pool.asyncWriteWithoutTransaction { db in self.drain(db) }
            case false?: break
            }
        }
    }

    /// Refuses new appends; those already queued are still written.
    func close() {
        state.withLock { $0.closed = true }
    }

    /// Marks the connection closed (after the store's last commit): the open-transaction
    /// machinery leaves it alone from now on.
    func markClosed() {
        open.withLock { $0.finished = true }
        // The close checkpointed the log into the file, durably: every segment is settled.
        settlement.withLock { $0.settled = .max }
    }

    /// The leader's transaction, on the calling thread: its own append first, then queued followers.
    /// It also flushes on its own thread when no flush is under way (after releasing the writer).
    private func lead(_ own: Follower) {
        let flushes = pool.writeWithoutTransaction { db in
            commit([own] + takeBatch(limit: maxBatch - 1), db, flushOnCaller: true)
        }
        let handOff = state.withLock { state in
            state.writing = !state.queue.isEmpty
            return state.writing
        }
        if handOff { pool.asyncWriteWithoutTransaction { db in self.drain(db) } }
        if flushes, case .log(let log) = durability { log.runFlushes() }
    }

    /// Writes a batch of queued followers (on the writer queue), then queues itself again while
    /// more wait: one transaction per turn, so that stores whose writer queues share threads
    /// (``EventStore/Configuration/writerTargetQueue``) take turns instead of a busy one keeping
    /// a thread.
    private func drain(_ db: Database) {
        let batch = takeBatch(limit: maxBatch)
        if batch.isEmpty { return }
        commit(batch, db)
        let more = state.withLock { state in
            if state.queue.isEmpty { state.writing = false }
            return state.writing
        }
        if more { pool.asyncWriteWithoutTransaction { db in self.drain(db) } }
    }

    /// Removes up to `limit` followers from the queue; when none is left, the writer goes idle.
    private func takeBatch(limit: Int) -> [Follower] {
        state.withLock { state in
            let count = min(state.queue.count, limit)
            if count == 0, limit == maxBatch { state.writing = false }
            defer { state.queue.removeFirst(count) }
            return Array(state.queue.prefix(count))
        }
    }

    /// Writes a batch, then finishes it once it is durable (at once when nothing committed).
    /// - Returns: true when the caller must run the flush (see ``WALSyncer/committed(onCaller:then:)``).
    @discardableResult
    private func commit(_ batch: [Follower], _ db: Database, flushOnCaller: Bool = false) -> Bool {
        let (outcomes, outputs, committed) = write(batch.map(\.work), db)
        let finishWhenDurable: @Sendable (Result<Void, any Error>) -> Void = { durability in
            switch durability {
            case .success: self.finish(batch, outcomes: outcomes, outputs: outputs)
            case .failure(let error): self.finish(batch, outcomes: outcomes.map { $0.flatMap { _ in .failure(error) } }, outputs: [])
            }
        }
        switch durability {
        case .log(let log) where committed:
            return log.committed(onCaller: flushOnCaller, then: finishWhenDurable)
        case .journal(let journal, let identity, _) where committed:
            journal.record(Self.written(outcomes), of: identity, store: self, then: finishWhenDurable)
            return false
        default:
            finish(batch, outcomes: outcomes, outputs: outputs)
            return false
        }
    }

    /// Tells the hook and the subscribers what committed (and is durable), then resumes each
    /// caller with its own outcome.
    private func finish(_ batch: [Follower], outcomes: [Result<AppendResult, any Error>], outputs: [any Sendable]) {
        if let hook, !outputs.isEmpty { hook.committed(outputs) }
        hub.publish(Self.written(outcomes))
        for (follower, outcome) in zip(batch, outcomes) {
            follower.continuation.resume(with: outcome)
        }
    }

    /// The events the appends of a batch wrote (a retry wrote none).
    private static func written(_ outcomes: [Result<AppendResult, any Error>]) -> [RecordedEvent] {
        outcomes.flatMap { outcome in
            guard case .success(let result) = outcome, !result.isRetry else { return [RecordedEvent]() }
            return result.events
        }
    }

    /// Writes a batch in one transaction (or, deferring, into the one left open); returns each
    /// append's own outcome, the hook's outputs of the appends that committed, and whether any
    /// outcome needs a flush before it is told.
    ///
    /// A batch of one in a transaction of its own needs no savepoint: if it fails, the whole
    /// transaction rolls back.
    private func write(_ batch: [Work], _ db: Database) -> ([Result<AppendResult, any Error>], [any Sendable], committed: Bool) {
        var outputs: [any Sendable] = []
        let held = open.withLock { $0.appends }
        do {
            if durability.isDurable, let failure = durability.failure { return (batch.map { _ in .failure(failure) }, [], false) }
            if !db.isInsideTransaction {
                if held > 0 { throw EventStoreError.corruptStore("the open transaction ended outside the store") }
                // The flush comes after the commit, outside the write lock (see WALSyncer, CommitJournal).
                if durability.isDurable { try db.cachedStatement(sql: "PRAGMA synchronous = NORMAL").execute() }
                try db.beginTransaction(.immediate)
            }
            var head = try cachedHead.withLock { $0 } ?? EventRows.head(db)
            let recordedAt = clock()
            var outcomes: [Result<AppendResult, any Error>] = []
            if batch.count == 1, held == 0 {
                var decided: [StreamAppend] = []
                do {
                    outcomes.append(.success(try insert(batch[0], at: recordedAt, after: &head, decided: &decided, outputs: &outputs, db)))
                } catch {
                    // Nothing the hook applied outlives this: its apply either never ran or threw.
                    try db.rollback()
                    try restoreSynchronous(db)
                    // A retry of an append still being flushed must wait for that flush too.
                    let outcome = resolve(error, of: decided, db)
                    return ([outcome], [], (try? outcome.get()) != nil)
                }
            } else {
                for work in batch {
                    var decided: [StreamAppend] = []
                    var inserted = false
                    let before = head
                    do {
                        var output: [any Sendable] = []
                        let result = try Self.inSavepoint(db) {
                            let result = try insert(work, at: recordedAt, after: &head, decided: &decided, outputs: &output, db)
                            inserted = true
                            return result
                        }
                        // Told only once the savepoint is released: each append has one outcome.
                        outcomes.append(.success(result))
                        outputs += output
                    } catch {
                        // Only a savepoint that fails to release undoes an insert (and an apply)
                        // that succeeded: the head goes back with it.
                        head = before
                        if inserted {
                            hook?.forget()
                            streamVersions.forget()
                        }
                        outcomes.append(resolve(error, of: decided, db))
                    }
                }
            }
            cachedHead.withLock { $0 = head }
            if let deferred {
                let written = outcomes.count { outcome in (try? outcome.get()).map { !$0.isRetry && !$0.events.isEmpty } == true }
                let holding = open.withLock { $0.appends += written; return $0.appends }
                // Once the store is closing, an append still queued commits at once: the close's
                // own commit may already have run.
                let closing = state.withLock { $0.closed }
                if holding == 0 || holding >= deferred.maxAppends || closing { try commitOpen(db) } else { scheduleCommit(after: deferred.maxDelay) }
            } else {
                try db.commit()
                try restoreSynchronous(db)
            }
            return (outcomes, outputs, true)
        } catch {
            hook?.forget()
            if db.isInsideTransaction { try? db.rollback() }
            try? restoreSynchronous(db)
            forgetHead()
            if held > 0 { lose(error) }
            return (batch.map { _ in .failure(error) }, [], false)
        }
    }

    /// Runs `body` in a savepoint of the open transaction: released when it returns, rolled back
    /// to (and released) when it throws. Its statements are cached: nothing is parsed per append,
    /// as GRDB's `inSavepoint` does.
    private static func inSavepoint<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "SAVEPOINT append").execute()
        do {
            let result = try body()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT append").execute()
            return result
        } catch {
            try? db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT append").execute()
            try? db.cachedStatement(sql: "RELEASE SAVEPOINT append").execute()
            throw error
        }
    }

    /// Outside a transaction, a durable store's other writes commit with `synchronous = FULL`.
    private func restoreSynchronous(_ db: Database) throws {
        if durability.isDurable { try db.cachedStatement(sql: "PRAGMA synchronous = FULL").execute() }
    }

    // MARK: The open transaction

    /// Commits the transaction appends left open, if any; call on the writer before any other
    /// use of it (once the store is closed, it leaves the connection alone). A commit that fails
    /// loses appends already acknowledged (the journal still has them): the store and its
    /// journal fail, and the next ``CommitJournal/recover(_:)`` restores them.
    func commitOpen(_ db: Database) throws {
        let (appends, lost, finished) = open.withLock { ($0.appends, $0.lost, $0.finished) }
        if finished { return }
        if let lost { throw lost }
        guard db.isInsideTransaction else {
            if appends > 0 { throw lose(EventStoreError.corruptStore("the open transaction ended outside the store")) }
            return
        }
        do {
            try db.commit()
        } catch {
            try? db.rollback()
            throw lose(error)
        }
        open.withLock { $0.appends = 0 }
        try restoreSynchronous(db)
        if case .journal(let journal, _, _) = durability {
            // The commit covers every record the store has in the segments before the current
            // one: once per segment, its log is flushed in the background to settle them.
            let segment = journal.currentSegment
            let request = settlement.withLock { settlement in
                defer { settlement.requested = max(settlement.requested, segment) }
                return segment > settlement.requested
            }
            if request { journal.settle(self, below: segment) }
        }
    }

    /// Commits the open transaction, if any: the barrier before a read, so that it sees every
    /// acknowledged append. Throws once appends were lost.
    func settle() async throws {
        let (appends, lost) = open.withLock { ($0.appends, $0.lost) }
        if let lost { throw lost }
        guard appends > 0 else { return }
        try await pool.writeWithoutTransaction { db in try self.commitOpen(db) }
    }

    /// Commits the open transaction once ``DeferredCommit/maxDelay`` has passed (one timer at a time).
    private func scheduleCommit(after delay: Duration) {
        let schedule = open.withLock { open in
            defer { open.commitScheduled = true }
            return !open.commitScheduled
        }
        guard schedule else { return }
        let (seconds, attoseconds) = delay.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) {
            self.pool.asyncWriteWithoutTransaction { db in
                self.open.withLock { $0.commitScheduled = false }
                try? self.commitOpen(db)
            }
        }
    }

    /// Records that the open transaction's appends were rolled back, and fails the journal: no
    /// later append is acknowledged and no read answers until the store is recovered.
    @discardableResult
    private func lose(_ error: any Error) -> EventStoreError {
        let lost = EventStoreError.syncFailed("the store's open transaction was rolled back: \(error)")
        open.withLock { open in
            open.appends = 0
            if open.lost == nil { open.lost = lost }
        }
        forgetHead()
        hook?.forget()
        if case .journal(let journal, _, _) = durability { journal.fail(lost) }
        return lost
    }

    /// Decides one caller's parts, inserts their events after `head`, checking each stream's
    /// condition, and runs the hook on them; advances `head` only when all of it succeeded.
    private func insert(
        _ work: Work, at recordedAt: Int64, after head: inout Head, decided: inout [StreamAppend], outputs: inout [any Sendable], _ db: Database
    ) throws -> AppendResult {
        let log = WriterLog(db: db, known: streamVersions)
        let decision = try work(log)
        let parts = decision.parts
        decided = parts
        var next = head
        var recorded: [RecordedEvent] = []
        for part in parts {
            var version = try log.version(of: part.stream)
            guard part.expected.admits(version) else {
                throw EventStoreError.conflict(stream: part.stream, expected: part.expected, actual: version)
            }
            for event in part.events {
                version += 1
                next.position += 1
                next.hash = EventHash.chain(
                    previous: next.hash, position: next.position, stream: part.stream, streamVersion: version,
                    id: event.id, type: event.type, schemaVersion: event.schemaVersion, data: event.data,
                    metadata: event.metadata, recordedAt: recordedAt)
                let row = RecordedEvent(
                    position: next.position, stream: part.stream, streamVersion: version, id: event.id,
                    type: event.type, schemaVersion: event.schemaVersion, data: event.data,
                    metadata: event.metadata, recordedAt: recordedAt, hash: next.hash)
                try EventRows.insert(row, db)
                recorded.append(row)
            }
            log.advance(part.stream, to: version)
        }
        if !recorded.isEmpty, let hook {
            let decoded = decision.decoded.flatMap { $0.count == recorded.count ? $0 : nil }
            if let output = try hook.apply(recorded, decoded: decoded, db) { outputs.append(output) }
        }
        decision.written?(recorded)
        log.publishAdvances()
        head = next
        return AppendResult(events: recorded, isRetry: false)
    }

    /// The outcome of an append that failed: a failed condition or a duplicate id may mean the
    /// append is a retry of one already stored, which returns the original result. A database
    /// failure also drops the cached head, so the next transaction reads it afresh.
    private func resolve(_ error: any Error, of parts: [StreamAppend], _ db: Database) -> Result<AppendResult, any Error> {
        switch error {
        case EventStoreError.conflict:
            break
        case let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT:
            break
        case is DatabaseError:
            forgetHead()
            return .failure(error)
        default:
            return .failure(error)
        }
        return Result { try Self.storedRetry(of: parts, db) ?? { throw error }() }
    }

    /// Forgets the cached head and stream versions; call from inside a write that changed the
    /// log outside this committer.
    func forgetHead() {
        cachedHead.withLock { $0 = nil }
        streamVersions.forget()
    }

    /// The stored result when every event of `parts` was already appended with the same content,
    /// nil when none was; an error when only some were, or with other content.
    private static func storedRetry(of parts: [StreamAppend], _ db: Database) throws -> AppendResult? {
        var found: [RecordedEvent] = []
        var missing = false
        for part in parts {
            for event in part.events {
                guard let stored = try EventRows.event(id: event.id, db) else {
                    missing = true
                    continue
                }
                guard stored.stream == part.stream, stored.type == event.type,
                      stored.schemaVersion == event.schemaVersion, stored.data == event.data,
                      found.last.map({ $0.position + 1 == stored.position }) ?? true
                else { throw EventStoreError.idempotencyMismatch(eventID: event.id.storedSpelling) }
                found.append(stored)
            }
        }
        if found.isEmpty { return nil }
        if missing { throw EventStoreError.idempotencyMismatch(eventID: found[0].id.storedSpelling) }
        return AppendResult(events: found, isRetry: true)
    }
}

extension GroupCommitter: JournaledStore {
    var settledBelow: Int { settlement.withLock { $0.settled } }

    func settleLog() throws {
        guard case .journal(let journal, _, let log) = durability, !open.withLock({ $0.finished }) else { return }
        let segment = try pool.writeWithoutTransaction { db in
            // This flush settles what the commit covers: no background flush for it.
            let segment = journal.currentSegment
            settlement.withLock { $0.requested = max($0.requested, segment) }
            try self.commitOpen(db)
            return segment
        }
        try log.flushNow()
        settlement.withLock { $0.settled = max($0.settled, segment) }
    }

    func flushLog(settling segment: Int) throws {
        try durability.log?.flushNow()
        settlement.withLock { $0.settled = max($0.settled, segment) }
    }
}
