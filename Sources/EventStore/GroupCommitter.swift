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
/// durable, and callers are resumed after that.
final class GroupCommitter: Sendable {
    private struct Follower: Sendable {
        let parts: [StreamAppend]
        let continuation: CheckedContinuation<AppendResult, any Error>
    }

    private struct State {
        var queue: [Follower] = []
        var writing = false
        var closed = false
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

    typealias Head = (position: Int64, hash: EventDigest)

    init(pool: DatabasePool, hub: SubscriptionHub, clock: @escaping @Sendable () -> Int64, maxBatch: Int, hook: (any AppendHook)?,
         durability: Durability, leaderWritesInline: Bool = true) {
        self.leaderWritesInline = leaderWritesInline
        self.pool = pool
        self.hook = hook
        self.durability = durability
        self.hub = hub
        self.clock = clock
        self.maxBatch = maxBatch
    }

    /// Writes `parts` as one atomic append and returns its own outcome.
    func append(_ parts: [StreamAppend]) async throws -> AppendResult {
        let isLeader: Bool = try state.withLock { state in
            guard !state.closed else { throw EventStoreError.closed }
            guard leaderWritesInline, !state.writing else { return false }
            state.writing = true
            return true
        }
        return try await withCheckedThrowingContinuation { continuation in
            let own = Follower(parts: parts, continuation: continuation)
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
        let (outcomes, outputs, committed) = write(batch.map(\.parts), db)
        let finishWhenDurable: @Sendable (Result<Void, any Error>) -> Void = { durability in
            switch durability {
            case .success: self.finish(batch, outcomes: outcomes, outputs: outputs)
            case .failure(let error): self.finish(batch, outcomes: outcomes.map { $0.flatMap { _ in .failure(error) } }, outputs: [])
            }
        }
        switch durability {
        case .log(let log) where committed:
            return log.committed(onCaller: flushOnCaller, then: finishWhenDurable)
        case .journal(let journal, let identity, let log) where committed:
            let events = outcomes.flatMap { outcome in
                guard case .success(let result) = outcome, !result.isRetry else { return [RecordedEvent]() }
                return result.events
            }
            journal.record(events, of: identity, log: log, then: finishWhenDurable)
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
        hub.publish(outcomes.flatMap { outcome in
            guard case .success(let result) = outcome, !result.isRetry else { return [RecordedEvent]() }
            return result.events
        })
        for (follower, outcome) in zip(batch, outcomes) {
            follower.continuation.resume(with: outcome)
        }
    }

    /// Writes a batch in one transaction; returns each append's own outcome, the hook's outputs
    /// of the appends that committed, and whether any outcome needs a flush before it is told.
    ///
    /// A batch of one needs no savepoint: if it fails, the whole transaction rolls back.
    private func write(_ batch: [[StreamAppend]], _ db: Database) -> ([Result<AppendResult, any Error>], [any Sendable], committed: Bool) {
        var outputs: [any Sendable] = []
        do {
            if durability.isDurable {
                if let failure = durability.failure { return (batch.map { _ in .failure(failure) }, [], false) }
                // The flush comes after the commit, outside the write lock (see WALSyncer, CommitJournal).
                try db.cachedStatement(sql: "PRAGMA synchronous = NORMAL").execute()
            }
            defer { if durability.isDurable { try? db.cachedStatement(sql: "PRAGMA synchronous = FULL").execute() } }
            try db.beginTransaction(.immediate)
            var head = try cachedHead.withLock { $0 } ?? EventRows.head(db)
            let recordedAt = clock()
            var outcomes: [Result<AppendResult, any Error>] = []
            if batch.count == 1 {
                do {
                    outcomes.append(.success(try insert(batch[0], at: recordedAt, after: &head, outputs: &outputs, db)))
                } catch {
                    try db.rollback()
                    // A retry of an append still being flushed must wait for that flush too.
                    let outcome = resolve(error, of: batch[0], db)
                    return ([outcome], [], (try? outcome.get()) != nil)
                }
            } else {
                for parts in batch {
                    do {
                        var output: [any Sendable] = []
                        try db.inSavepoint {
                            outcomes.append(.success(try insert(parts, at: recordedAt, after: &head, outputs: &output, db)))
                            return .commit
                        }
                        outputs += output
                    } catch {
                        outcomes.append(resolve(error, of: parts, db))
                    }
                }
            }
            try db.commit()
            cachedHead.withLock { $0 = head }
            return (outcomes, outputs, true)
        } catch {
            if db.isInsideTransaction { try? db.rollback() }
            cachedHead.withLock { $0 = nil }
            return (batch.map { _ in .failure(error) }, [], false)
        }
    }

    /// Inserts one caller's events after `head`, checking each stream's condition, and runs the
    /// hook on them; advances `head` only when all of it succeeded.
    private func insert(
        _ parts: [StreamAppend], at recordedAt: Int64, after head: inout Head, outputs: inout [any Sendable], _ db: Database
    ) throws -> AppendResult {
        var next = head
        var recorded: [RecordedEvent] = []
        for part in parts {
            var version = try EventRows.version(of: part.stream, db)
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
        }
        if let output = try hook?.apply(recorded, db) { outputs.append(output) }
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
            cachedHead.withLock { $0 = nil }
            return .failure(error)
        default:
            return .failure(error)
        }
        return Result { try Self.storedRetry(of: parts, db) ?? { throw error }() }
    }

    /// Forgets the cached head; call from inside a write that changed the log outside this committer.
    func forgetHead() {
        cachedHead.withLock { $0 = nil }
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
