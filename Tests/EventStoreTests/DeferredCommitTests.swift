@testable import EventStore
import Foundation
import GRDB
import Testing

/// A journaled store leaves its transaction open across acknowledged appends (`DeferredCommit`).
@Suite("Deferred commits")
struct DeferredCommitTests {
    /// Events committed in `store`'s file, as another connection (another process) sees them.
    static func committedEvents(_ store: EventStore) throws -> Int {
        var configuration = Configuration()
        configuration.readonly = true
        let outside = try DatabaseQueue(path: store.url.path, configuration: configuration)
        defer { try? outside.close() }
        return try outside.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0 }
    }

    static let never = DeferredCommit(maxAppends: 1_000, maxDelay: .seconds(600))

    /// Runs `body` with the journaled store of `user_a` in `scratch`, then closes both cleanly.
    static func withStore(in scratch: ScratchDirectory, deferring deferred: DeferredCommit = never, _ body: (EventStore) async throws -> Void) async throws {
        let (journal, stores) = try await CommitJournalTests.open(["user_a"], in: scratch, deferredCommit: deferred)
        try await body(stores[0])
        try await stores[0].close()
        journal.close(retiring: true)
    }

    @Test("acknowledged appends stay in the open transaction until a read, and the read sees every one of them")
    func readCommits() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        try await Self.withStore(in: scratch) { store in
            for index in 1...3 { try await store.append([event("e\(index)")], to: "s") }
            #expect(try Self.committedEvents(store) == 0)
            #expect(try await store.read(after: 0, limit: 10).map(\.position) == [1, 2, 3])
            #expect(try Self.committedEvents(store) == 3)
            // A write through the store commits first too, and then runs in its own transaction.
            try await store.append([event("e4")], to: "s")
            let counted = try await store.write { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") }
            #expect(counted == 4)
            #expect(try Self.committedEvents(store) == 4)
        }
    }

    @Test("the open transaction commits after maxAppends appends, and after maxDelay")
    func commitsByCountAndTime() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        try await Self.withStore(in: scratch, deferring: .init(maxAppends: 3, maxDelay: .seconds(600))) { store in
            try await store.append([event("e1")], to: "s")
            try await store.append([event("e2")], to: "s")
            #expect(try Self.committedEvents(store) == 0)
            try await store.append([event("e3")], to: "s")
            #expect(try Self.committedEvents(store) == 3)
        }
        try await Self.withStore(in: scratch, deferring: .init(maxAppends: 1_000, maxDelay: .milliseconds(50))) { store in
            try await store.append([event("e4")], to: "s")
            var committed = 0
            for _ in 0..<500 where committed < 4 {
                try await Task.sleep(for: .milliseconds(10))
                committed = try Self.committedEvents(store)
            }
            #expect(committed == 4)
        }
    }

    @Test("an append that fails inside the open transaction fails alone; a retry is answered from it")
    func failureInsideOpenTransaction() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        try await Self.withStore(in: scratch) { store in
            let first = event("a")
            try await store.append([first], to: "s", expecting: .noStream)
            await #expect(throws: EventStoreError.self) { try await store.append([event("b")], to: "s", expecting: .noStream) }
            let retry = try await store.append([first], to: "s", expecting: .noStream)
            #expect(retry.isRetry && retry.position == 1)
            try await store.append([event("c")], to: "s", expecting: .exact(1))
            #expect(try Self.committedEvents(store) == 0)
            #expect(try await store.read(after: 0, limit: 10).map(\.position) == [1, 2])
            #expect(try await store.verify().isIntact)
        }
    }

    @Test("a subscriber catching up while appends are held open gets every one of them once, in order, then the live ones")
    func subscriptionCatchesUp() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        try await Self.withStore(in: scratch) { store in
            for index in 1...3 { try await store.append([event("e\(index)")], to: "s") }
            #expect(try Self.committedEvents(store) == 0)
            var iterator = store.subscribe(from: 1).makeAsyncIterator()
            #expect(try await iterator.next()?.position == 2)
            #expect(try await iterator.next()?.position == 3)
            try await store.append([event("live")], to: "s")
            #expect(try await iterator.next()?.position == 4)
        }
    }

    @Test("appends still queued when the store closes are committed: every acknowledged append is in the file")
    func closeWhileAppending() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (journal, stores) = try await CommitJournalTests.open(["user_a"], in: scratch, deferredCommit: Self.never)
        let store = stores[0]
        let acknowledged = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<200 {
                group.addTask { (try? await store.append([event("e\(index)")], to: "s\(index % 7)")) != nil }
            }
            try await Task.sleep(for: .milliseconds(2))
            try await store.close()
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        journal.close(retiring: true)
        #expect(acknowledged > 0)
        #expect(try Self.committedEvents(store) == acknowledged)
    }

    @Test("appends lost from the open transaction fail the store and its journal: nothing later is acknowledged or read")
    func lostTransaction() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (journal, stores) = try await CommitJournalTests.open(["user_a"], in: scratch, deferredCommit: Self.never)
        let store = stores[0]
        try await store.append([event("a")], to: "s")
        // What a failed commit does: the transaction, and the acknowledged append in it, rolled back.
        try await store.pool.writeWithoutTransaction { db in try db.rollback() }
        await #expect(throws: EventStoreError.self) { try await store.append([event("b")], to: "s") }
        await #expect(throws: EventStoreError.self) { try await store.read(after: 0, limit: 10) }
        #expect(journal.failure != nil)
        try? await store.close()
        journal.close(retiring: false)
        // The journal still has the acknowledged append: the next process gets it back.
        let (again, reopened) = try await CommitJournalTests.open(["user_a"], in: scratch)
        #expect(try await reopened[0].read(after: 0, limit: 10).count == 1)
        try await reopened[0].close()
        again.close(retiring: true)
    }

    @Test("a crash with the transaction open loses nothing acknowledged: recovery restores it from the journal")
    func crashWithOpenTransaction() async throws {
        let live = ScratchDirectory()
        let crashed = ScratchDirectory()
        defer { live.remove(); crashed.remove() }
        let (journal, stores) = try await CommitJournalTests.open(["user_a", "user_b"], in: live, deferredCommit: Self.never)
        for index in 1...5 {
            try await stores[0].append([event("a\(index)")], to: "s")
            try await stores[1].append([event("b\(index)")], to: "s")
        }
        // The disk as kill -9 leaves it now: nothing of the open transactions is in the files.
        for store in stores { try CommitJournalTests.copyFiles(of: store, to: crashed) }
        try CommitJournalTests.copyJournal(from: live, to: crashed)
        let expected = try await stores.asyncMap { try await CommitJournalTests.events($0) }
        for store in stores { try await store.close() }
        journal.close(retiring: true)

        let (_, recovered) = try await CommitJournalTests.open(["user_a", "user_b"], in: crashed)
        for (store, events) in zip(recovered, expected) {
            #expect(try await CommitJournalTests.events(store) == events)
            #expect(try await store.verify().isIntact)
            try await store.close()
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
