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
/// savepoint, so a conflict or a bad retry fails that caller alone. Events are published to
/// subscribers only after COMMIT has returned, and callers are resumed after that.
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
    /// Whether a leader writes on its own thread (else every append waits on the writer queue).
    private let leaderWritesInline: Bool
    private let state = Mutex(State())
    /// The last committed position and hash; read and written only on the database writer.
    private let cachedHead = Mutex<Head?>(nil)

    typealias Head = (position: Int64, hash: EventDigest)

    init(pool: DatabasePool, hub: SubscriptionHub, clock: @escaping @Sendable () -> Int64, maxBatch: Int, hook: (any AppendHook)?,
         leaderWritesInline: Bool = true) {
        self.leaderWritesInline = leaderWritesInline
        self.pool = pool
        self.hook = hook
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
        if isLeader { return try lead(parts).get() }
        return try await withCheckedThrowingContinuation { continuation in
            let startWriting: Bool? = state.withLock { state in
                guard !state.closed else { return nil }
                state.queue.append(Follower(parts: parts, continuation: continuation))
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
    private func lead(_ parts: [StreamAppend]) -> Result<AppendResult, any Error> {
        let own = pool.writeWithoutTransaction { db in
            let followers = takeBatch(limit: maxBatch - 1)
            let (outcomes, outputs) = write([parts] + followers.map(\.parts), db)
            finish(followers, outcomes: outcomes, outputs: outputs)
            return outcomes[0]
        }
        let handOff = state.withLock { state in
            state.writing = !state.queue.isEmpty
            return state.writing
        }
        if handOff { pool.asyncWriteWithoutTransaction { db in self.drain(db) } }
        return own
    }

    /// Writes queued followers, batch after batch, until none is left (on the writer queue).
    private func drain(_ db: Database) {
        while true {
            let batch = takeBatch(limit: maxBatch)
            if batch.isEmpty { return }
            let (outcomes, outputs) = write(batch.map(\.parts), db)
            finish(batch, outcomes: outcomes, outputs: outputs)
        }
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

    /// Tells the hook and the subscribers what committed, then resumes each follower with its own
    /// outcome (the leader's, if any, is the first outcome and is not resumed here).
    private func finish(_ followers: [Follower], outcomes: [Result<AppendResult, any Error>], outputs: [any Sendable]) {
        if let hook, !outputs.isEmpty { hook.committed(outputs) }
        hub.publish(outcomes.flatMap { outcome in
            guard case .success(let result) = outcome, !result.isRetry else { return [RecordedEvent]() }
            return result.events
        })
        for (follower, outcome) in zip(followers, outcomes.suffix(followers.count)) {
            follower.continuation.resume(with: outcome)
        }
    }

    /// Writes a batch in one transaction; returns each append's own outcome and the hook's outputs
    /// of the appends that committed.
    ///
    /// A batch of one needs no savepoint: if it fails, the whole transaction rolls back.
    private func write(_ batch: [[StreamAppend]], _ db: Database) -> ([Result<AppendResult, any Error>], [any Sendable]) {
        var outputs: [any Sendable] = []
        do {
            try db.beginTransaction(.immediate)
            var head = try cachedHead.withLock { $0 } ?? EventRows.head(db)
            let recordedAt = clock()
            var outcomes: [Result<AppendResult, any Error>] = []
            if batch.count == 1 {
                do {
                    outcomes.append(.success(try insert(batch[0], at: recordedAt, after: &head, outputs: &outputs, db)))
                } catch {
                    try db.rollback()
                    return ([resolve(error, of: batch[0], db)], [])
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
            return (outcomes, outputs)
        } catch {
            if db.isInsideTransaction { try? db.rollback() }
            cachedHead.withLock { $0 = nil }
            return (batch.map { _ in .failure(error) }, [])
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
