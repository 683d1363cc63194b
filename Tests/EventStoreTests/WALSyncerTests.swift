@testable import EventStore
import Dispatch
import Foundation
import Synchronization
import Testing

@Suite("WAL syncer")
struct WALSyncerTests {
    /// A syncer for a store file in `scratch` whose log holds a few bytes.
    static func syncer(in scratch: ScratchDirectory) throws -> WALSyncer {
        try FileManager.default.createDirectory(at: scratch.url, withIntermediateDirectories: true)
        let database = scratch.url.appendingPathComponent("store.sqlite").path
        try Data("frames".utf8).write(to: URL(fileURLWithPath: database + "-wal"))
        return WALSyncer(databasePath: database, label: "test")
    }

    @Test("every registered commit is called back once, after a flush, in commit order")
    func callsBackInOrder() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let syncer = try Self.syncer(in: scratch)
        let calls = Mutex<[Int]>([])
        let failures = Mutex(0)
        for commit in 1...500 {
            syncer.committed { outcome in
                if case .failure = outcome { failures.withLock { $0 += 1 } }
                calls.withLock { $0.append(commit) }
            }
        }
        await syncer.drain()
        syncer.close()
        #expect(calls.withLock { $0 } == Array(1...500))
        #expect(failures.withLock { $0 } == 0)
        #expect(syncer.failure == nil)
    }

    @Test("commits arriving while earlier ones are being called back are called back after them, one at a time")
    func handOver() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let syncer = try Self.syncer(in: scratch)
        let seen = Mutex<(order: [Int], inside: Bool, overlapped: Bool)>(([], false, false))
        // Commits come every 0.3 ms and each callback takes 0.5 ms (as publishing and resuming
        // callers take time): a flush often finds nothing more waiting while its callbacks still run.
        for commit in 1...200 {
            // Every other commit offers to flush on its own thread, as a lone leader does.
            let flushHere = syncer.committed(onCaller: commit % 2 == 0) { _ in
                let overlapping = seen.withLock { state in
                    defer { state.inside = true }
                    return state.inside
                }
                usleep(500)
                seen.withLock { state in
                    state.overlapped = state.overlapped || overlapping
                    state.order.append(commit)
                    state.inside = false
                }
            }
            if flushHere { DispatchQueue.global().async { syncer.runFlushes() } }
            usleep(300)
        }
        await syncer.drain()
        syncer.close()
        let result = seen.withLock { $0 }
        #expect(result.order == Array(1...200))
        #expect(!result.overlapped)
    }

    @Test("a failed flush fails its commits and every later one")
    func failureIsSticky() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        // No such directory: the log cannot be opened, so the flush fails.
        let syncer = WALSyncer(databasePath: scratch.url.appendingPathComponent("missing/store.sqlite").path, label: "test")
        let outcomes = Mutex<[Bool]>([])
        syncer.committed { outcome in outcomes.withLock { $0.append((try? outcome.get()) != nil) } }
        await syncer.drain()
        #expect(syncer.failure != nil)
        syncer.committed { outcome in outcomes.withLock { $0.append((try? outcome.get()) != nil) } }
        await syncer.drain()
        #expect(outcomes.withLock { $0 } == [false, false])
    }

    @Test("a durable store acknowledges an append only once it is flushed: when the flush fails, so does the append, and every later one")
    func appendWaitsForItsFlush() async throws {
        try await withScratchStore { store, _ in
            // Unlink the log under the open store: SQLite keeps writing to it, but the flush cannot open it.
            try FileManager.default.removeItem(atPath: store.url.path + "-wal")
            await #expect(throws: EventStoreError.self) { try await store.append([event("a")], to: "s") }
            await #expect(throws: EventStoreError.self) { try await store.append([event("b")], to: "s") }
            #expect(store.head == 0, "nothing unflushed is published")
        }
    }

    @Test("a durable store acknowledges concurrent appends once flushed, and publishes them in position order")
    func durableStoreAppends() async throws {
        try await withScratchStore { store, _ in
            let subscription = store.subscribe(from: 0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask { _ = try await store.append([event("e\(index)")], to: "stream-\(index % 7)") }
                }
                try await group.waitForAll()
            }
            var positions: [Int64] = []
            for try await recorded in subscription {
                positions.append(recorded.position)
                if positions.count == 200 { break }
            }
            #expect(positions == Array(1...200))
            #expect(store.head == 200)
        }
    }
}
