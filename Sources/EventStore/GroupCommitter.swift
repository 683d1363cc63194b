import Foundation
import GRDB
import Synchronization

/// Serializes a tenant's appends onto the database's single writer and lets concurrent appends
/// share one transaction (one fsync).
///
/// Appends queue up while a transaction is being written; when it commits, the next transaction
/// takes every queued append at once. A lone writer therefore pays one transaction per append,
/// and many concurrent writers pay one per batch. Inside a batch each append runs in its own
/// savepoint, so a conflict or a bad retry fails that caller alone. Events are published to
/// subscribers only after COMMIT has returned, and callers are resumed after that.
final class GroupCommitter: Sendable {
    private struct Pending: Sendable {
        let parts: [StreamAppend]
        let continuation: CheckedContinuation<AppendResult, any Error>
    }

    private struct State {
        var queue: [Pending] = []
        var draining = false
        var closed = false
    }

    private let pool: DatabasePool
    private let hub: SubscriptionHub
    private let clock: @Sendable () -> Int64
    private let maxBatch: Int
    private let state = Mutex(State())

    init(pool: DatabasePool, hub: SubscriptionHub, clock: @escaping @Sendable () -> Int64, maxBatch: Int) {
        self.pool = pool
        self.hub = hub
        self.clock = clock
        self.maxBatch = maxBatch
    }

    /// Queues `parts` as one atomic append and waits for its own outcome.
    func append(_ parts: [StreamAppend]) async throws -> AppendResult {
        try await withCheckedThrowingContinuation { continuation in
            let startDraining: Bool? = state.withLock { state in
                guard !state.closed else { return nil }
                state.queue.append(Pending(parts: parts, continuation: continuation))
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            switch startDraining {
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

    private func drain(_ db: Database) {
        while true {
            let batch: [Pending] = state.withLock { state in
                let count = min(state.queue.count, maxBatch)
                if count == 0 { state.draining = false }
                defer { state.queue.removeFirst(count) }
                return Array(state.queue.prefix(count))
            }
            if batch.isEmpty { return }
            let outcomes = write(batch, db)
            hub.publish(outcomes.flatMap { (try? $0.get()).map { $0.isRetry ? [] : $0.events } ?? [] })
            for (pending, outcome) in zip(batch, outcomes) {
                pending.continuation.resume(with: outcome)
            }
        }
    }

    /// Writes a batch in one transaction; returns each append's own outcome.
    private func write(_ batch: [Pending], _ db: Database) -> [Result<AppendResult, any Error>] {
        do {
            try db.beginTransaction(.immediate)
            var head = try EventRows.head(db)
            let recordedAt = clock()
            let outcomes = batch.map { pending in
                Result { try Self.appendOne(pending.parts, at: recordedAt, after: &head, db) }
            }
            try db.commit()
            return outcomes
        } catch {
            if db.isInsideTransaction { try? db.rollback() }
            return batch.map { _ in .failure(error) }
        }
    }

    /// One caller's append inside its own savepoint. A failed condition or a duplicate id first
    /// checks whether this is a retry of an append already stored, which returns the original result.
    private static func appendOne(
        _ parts: [StreamAppend], at recordedAt: Int64, after head: inout (position: Int64, hash: Data), _ db: Database
    ) throws -> AppendResult {
        var next = head
        var recorded: [RecordedEvent] = []
        do {
            try db.inSavepoint {
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
                return .commit
            }
        } catch let error as EventStoreError {
            if case .conflict = error, let original = try storedRetry(of: parts, db) { return original }
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            if let original = try storedRetry(of: parts, db) { return original }
            throw error
        }
        head = next
        return AppendResult(events: recorded, isRetry: false)
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
