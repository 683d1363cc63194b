import EventStore
import Foundation
import GRDB
import Synchronization
import Testing

/// Records every position it is applied to in a side table, refuses events of type
/// `test.refused`, and remembers what it heard after commit.
final class RecordingHook: AppendHook {
    let heard = Mutex<[Int64]>([])

    func apply(_ events: [RecordedEvent], decoded: [any Sendable]?, _ db: Database) throws -> (any Sendable)? {
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS hook_seen (position INTEGER PRIMARY KEY)")
        for event in events {
            guard event.type != "test.refused" else { throw EventStoreError.invalidEvent("refused by the hook") }
            try db.execute(sql: "INSERT INTO hook_seen (position) VALUES (?)", arguments: [event.position])
        }
        return events.map(\.position)
    }

    func committed(_ outputs: [any Sendable]) {
        heard.withLock { heard in for case let positions as [Int64] in outputs { heard += positions } }
    }

    static func seen(_ store: EventStore) async throws -> [Int64] {
        try await store.read { db in
            try db.tableExists("hook_seen") ? Int64.fetchAll(db, sql: "SELECT position FROM hook_seen ORDER BY position") : []
        }
    }
}

@Suite("Append hook")
struct AppendHookTests {
    func configuration(_ hook: RecordingHook) -> EventStore.Configuration {
        var configuration = EventStore.Configuration()
        configuration.hook = hook
        return configuration
    }

    @Test("the hook runs in the append's transaction; when it throws, nothing of the append is written")
    func refusalWritesNothing() async throws {
        let hook = RecordingHook()
        try await withScratchStore(configuration: configuration(hook)) { store, _ in
            try await store.append([event("a")], to: "s")
            await #expect(throws: EventStoreError.self) {
                try await store.append([event("b"), event("c", type: "test.refused")], to: "s")
            }
            #expect(store.head == 1)
            #expect(try await store.read(after: 0, limit: 10).count == 1)
            #expect(try await RecordingHook.seen(store) == [1])
            #expect(try await store.append([event("d")], to: "s").position == 2)
            #expect(hook.heard.withLock { $0 } == [1, 2])
        }
    }

    @Test("in a shared transaction a refused append fails alone; the others commit gapless and are heard in order")
    func refusalInGroupCommit() async throws {
        let hook = RecordingHook()
        try await withScratchStore(configuration: configuration(hook)) { store, _ in
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let type = index % 10 == 0 ? "test.refused" : "test.happened"
                        return (try? await store.append([event("e\(index)", type: type)], to: "s-\(index % 7)")) != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            let committed = Int64(outcomes.filter { $0 }.count)
            #expect(committed == 180)
            #expect(store.head == committed)
            let seen = try await RecordingHook.seen(store)
            #expect(seen == Array(1...committed))
            #expect(hook.heard.withLock { $0 } == Array(1...committed))
        }
    }

    @Test("import runs the hook on the imported events, in the import's transaction")
    func importApplies() async throws {
        try await withScratchStore { source, scratch in
            for index in 0..<25 { try await source.append([event("e\(index)")], to: "s") }
            var exported = Data()
            try await source.exportJSONL { exported.append($0) }
            let file = scratch.url.appendingPathComponent("export.jsonl")
            try exported.write(to: file)
            let hook = RecordingHook()
            let target = try EventStore.open(.tenant(TenantID("user_import")), in: scratch.data, configuration: configuration(hook))
            try await target.importJSONL(from: file)
            #expect(try await RecordingHook.seen(target) == Array(1...25))
            try await target.close()
        }
    }
}
