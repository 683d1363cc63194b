@testable import EventStore
import Foundation
import Testing

/// A journaled store's log is checkpointed by its `LogCheckpointer`, not by SQLite on the
/// thread that committed.
@Suite("Log checkpoints")
struct CheckpointTests {
    /// Opens the store of `user_a` with a journal, committing every append at once, and
    /// checkpointing after `pages` pages.
    static func open(in scratch: ScratchDirectory, pages: Int32) async throws -> (CommitJournal, EventStore) {
        let journal = try CommitJournal(directory: scratch.url.appendingPathComponent("journal"))
        var configuration = EventStore.Configuration()
        configuration.journal = journal
        configuration.deferredCommit = DeferredCommit(maxAppends: 1, maxDelay: .seconds(600))
        configuration.checkpointPages = pages
        configuration.writesOnCallerThread = false
        let store = try EventStore.open(.tenant(TenantID("user_a")), in: scratch.data, configuration: configuration)
        try await journal.recover { _, lines in try await store.restore(lines) }
        return (journal, store)
    }

    /// Appends `count` events of 4 KB each (a page or more each in the log), one per transaction.
    static func fill(_ store: EventStore, count: Int = 100) async throws {
        let payload = String(repeating: "x", count: 4_000)
        for index in 0..<count {
            try await store.append([NewEvent(type: "test.happened", data: Data(#"{"label":"e\#(index)","payload":"\#(payload)"}"#.utf8))], to: "s")
        }
    }

    static func fileSize(_ store: EventStore) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: store.url.path)[.size] as? Int ?? 0
    }

    @Test("past checkpointPages the log is checkpointed into the file; SQLite's own automatic checkpoints do not run; a close with a checkpoint due keeps every event")
    func checkpointsPastThreshold() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        // Past SQLite's own threshold (1,000 pages) but below the store's (100,000): the file keeps its size.
        let (quietJournal, quiet) = try await Self.open(in: scratch, pages: 100_000)
        let before = try Self.fileSize(quiet)
        try await Self.fill(quiet, count: 1_100)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try Self.fileSize(quiet) == before)
        try await quiet.close()
        quietJournal.close(retiring: true)

        let other = ScratchDirectory()
        defer { other.remove() }
        let (journal, store) = try await Self.open(in: other, pages: 50)
        let initial = try Self.fileSize(store)
        try await Self.fill(store)
        // The checkpointer's queue copies the log's pages into the file in the background.
        let deadline = ContinuousClock.now + .seconds(10)
        while try Self.fileSize(store) < initial + 50 * 4_096, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try Self.fileSize(store) >= initial + 50 * 4_096)
        // More appends, then a close with a checkpoint likely due: nothing is lost.
        try await Self.fill(store)
        try await store.close()
        journal.close(retiring: true)
        let (reopenedJournal, reopened) = try await Self.open(in: other, pages: 50)
        #expect(try await reopened.read(after: 0, limit: 1_000).count == 200)
        try await reopened.close()
        reopenedJournal.close(retiring: true)
    }
}
