import Domain
import EventStore
import Foundation
@testable import Gateway
import GRDB
import Logging
import Projections
import Testing

@Suite("Commit journal recovery")
struct JournalRecoveryTests {
    static let context = DecisionContext(actor: "user_power", tenant: "user_power", now: 1_764_000_000_000)

    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return logger
    }

    /// A data directory under the system temp directory (the test removes it).
    static func scratch() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("clawcloud-journal-\(UUID().uuidString)")
    }

    /// Appends the events of a thread command to the tenant's store, as the API would.
    static func run(_ command: ThreadDecider.Command, on state: inout ThreadDecider.State, _ stores: Stores, _ tenant: TenantID) async throws {
        let events = try ThreadDecider.decide(command, state, context)
        state = events.reduce(state, ThreadDecider.evolve)
        let parts = events.map {
            StreamAppend(stream: $0.stream, events: [NewEvent(type: $0.type, schemaVersion: $0.schemaVersion, data: $0.data(), metadata: Data("{}".utf8))])
        }
        try await stores.withTenant(tenant) { store in _ = try await store.append(parts) }
    }

    static func messages(_ stores: Stores, _ tenant: TenantID) async throws -> [Projections.Row] {
        try await stores.withTenant(tenant) { store in
            try await store.read { db in
                try store.projector.rows(db, "thread_messages", "messages", RowQuery(scope: "t1", order: .ascending, limit: 100))
            }
        }
    }

    @Test("after a power cut, a tenant's store gets its acknowledged commits back from the journal when the server starts, views included")
    func powerCut() async throws {
        let (live, crashed) = (Self.scratch(), Self.scratch())
        defer { for url in [live, crashed] { try? FileManager.default.removeItem(at: url) } }
        let (logger, tenant) = (Self.logger, try TenantID("user_power"))
        let stores = try await Stores.open(DataDirectory(live), logger: logger)
        var thread = ThreadDecider.initialState
        try await Self.run(.create(threadId: "t1", kind: .chat, title: "Power"), on: &thread, stores, tenant)
        try await Self.run(.addMessage(threadId: "t1", messageId: "m1", role: .user, parts: [["type": "text", "text": "one"]]), on: &thread, stores, tenant)

        // The disk after the cut holds the tenant's file as it is now (later frames never reached it)…
        let file = DataDirectory(live).file(for: .tenant(tenant))
        let copy = DataDirectory(crashed).file(for: .tenant(tenant))
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        for suffix in ["", "-wal"] {
            try FileManager.default.copyItem(atPath: file.path + suffix, toPath: copy.path + suffix)
        }
        for number in 2...4 {
            try await Self.run(.addMessage(threadId: "t1", messageId: "m\(number)", role: .assistant, parts: [["type": "text", "text": "more"]]),
                               on: &thread, stores, tenant)
        }
        // …and the journal, flushed before each of those appends was acknowledged.
        try FileManager.default.copyItem(at: live.appendingPathComponent("journal"), to: crashed.appendingPathComponent("journal"))
        let expected = try await Self.messages(stores, tenant)
        #expect(expected.count == 4)
        await stores.close()

        let recovered = try await Stores.open(DataDirectory(crashed), logger: logger)
        #expect(try await Self.messages(recovered, tenant) == expected)
        #expect(try await recovered.withTenant(tenant) { $0.head } == 5)
        await recovered.close()
    }
}

extension JournalRecoveryTests {
    @Test("a journal that contradicts a store stops the server from starting, and stays for an operator to look at")
    func divergenceKeepsTheJournal() async throws {
        let (first, second) = (Self.scratch(), Self.scratch())
        defer { for url in [first, second] { try? FileManager.default.removeItem(at: url) } }
        let (logger, tenant) = (Self.logger, try TenantID("user_power"))
        // Two different histories of one tenant; the second directory gets the first's journal.
        for (directory, title) in [(first, "One"), (second, "Two")] {
            let stores = try await Stores.open(DataDirectory(directory), logger: logger)
            var thread = ThreadDecider.initialState
            try await Self.run(.create(threadId: "t1", kind: .chat, title: title), on: &thread, stores, tenant)
            if directory == first {
                try FileManager.default.copyItem(at: first.appendingPathComponent("journal"), to: first.appendingPathComponent("kept"))
            }
            await stores.close()
        }
        let journal = DataDirectory(second).journal
        try FileManager.default.removeItem(at: journal)
        try FileManager.default.moveItem(at: first.appendingPathComponent("kept"), to: journal)
        await #expect(throws: EventStoreError.self) { _ = try await Stores.open(DataDirectory(second), logger: logger) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: journal.path).contains { $0.hasPrefix("journal-") })
        #expect(CommitJournal.needsRecovery(in: journal))
    }
}
