import EventStore
import Foundation
import GRDB
import Testing

@Suite("Export, import and backup")
struct TransferTests {
    /// Every column of every row, as SQLite stores it.
    static func rawRows(_ url: URL) throws -> [[DatabaseValue]] {
        let queue = try DatabaseQueue(path: url.path)
        defer { try? queue.close() }
        return try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM events ORDER BY position").map { Array($0.databaseValues) }
        }
    }

    static func fillStore(_ store: EventStore) async throws {
        for index in 0..<40 {
            let metadata = EventMetadata(actor: "user_\(index % 3)", requestID: "req-\(index)")
            try await store.append(
                [try NewEvent(type: "thing.done", schemaVersion: index % 2 + 1,
                              payload: ["index": "\(index)", "text": "quote \" backslash \\ unicode é ✓ slash /"], metadata: metadata)],
                to: "stream-\(index % 4)")
        }
    }

    /// Events the tenant projections know (the CLI's import projects what it imports).
    static func fillWithDomainEvents(_ store: EventStore) async throws {
        for index in 0..<40 {
            let metadata = EventMetadata(actor: "user_\(index % 3)", requestID: "req-\(index)")
            try await store.append(
                [try NewEvent(type: "thread.renamed", payload: ["threadId": "t\(index % 4)", "title": "quote \" backslash \\ é ✓ / \(index)"],
                              metadata: metadata)],
                to: "thread-t\(index % 4)")
        }
    }

    static func export(_ store: EventStore, to url: URL) async throws {
        var text = Data()
        try await store.exportJSONL { text.append($0) }
        try text.write(to: url)
    }

    @Test("import of an export gives byte-identical rows and hashes")
    func roundTrip() async throws {
        try await withScratchStore { source, scratch in
            try await Self.fillStore(source)
            let file = scratch.url.appendingPathComponent("export.jsonl")
            try await Self.export(source, to: file)
            let target = try EventStore.open(.tenant(TenantID("user_copy")), in: scratch.data)
            let summary = try await target.importJSONL(from: file)
            #expect(summary == ImportSummary(events: 40, head: 40))
            #expect(try await target.verify().isIntact)
            try await target.close()
            #expect(try Self.rawRows(source.url) == Self.rawRows(target.url))
            // And the target appends on after the imported head.
            let reopened = try EventStore.open(.tenant(TenantID("user_copy")), in: scratch.data)
            #expect(try await reopened.append([event("next")], to: "stream-0").position == 41)
            try await reopened.close()
        }
    }

    @Test("an altered export is refused at its line, and nothing is written")
    func alteredExport() async throws {
        try await withScratchStore { source, scratch in
            try await Self.fillStore(source)
            let file = scratch.url.appendingPathComponent("export.jsonl")
            try await Self.export(source, to: file)
            var lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
            lines[9] = lines[9].replacingOccurrences(of: "\"index\":\"9\"", with: "\"index\":\"999\"")
            try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
            let target = try EventStore.open(.tenant(TenantID("user_copy")), in: scratch.data)
            await #expect(throws: EventStoreError.invalidImport(
                line: 10, reason: "hash does not match the event (the export was altered, or does not continue this log)")) {
                try await target.importJSONL(from: file)
            }
            #expect(target.head == 0)
            #expect(try await target.read(after: 0, limit: 100).isEmpty)
            try await target.close()
        }
    }

    @Test("import checks each line", arguments: [
        ("not json", "not a JSON object"),
        (#"{"position":1}"#, "missing member"),
        (#"{"position":2,"stream":"s","stream_version":1,"event_id":"8e0c8a8e-2f1b-4a51-9b1c-1d2b3c4d5e6f","type":"t","schema_version":1,"recorded_at":1,"data":{},"metadata":{}}"#, "position 2 does not follow 0"),
        (#"{"position":1,"stream":"s","stream_version":3,"event_id":"8e0c8a8e-2f1b-4a51-9b1c-1d2b3c4d5e6f","type":"t","schema_version":1,"recorded_at":1,"data":{},"metadata":{}}"#, "version 3 does not follow 0"),
        (#"{"position":1,"stream":"s","stream_version":1,"event_id":"nope","type":"t","schema_version":1,"recorded_at":1,"data":{},"metadata":{}}"#, "event_id"),
        (#"{"position":1,"stream":"s","stream_version":1,"event_id":"8e0c8a8e-2f1b-4a51-9b1c-1d2b3c4d5e6f","type":"t","schema_version":1,"recorded_at":1,"data":{},"metadata":{},"hash":"00"}"#, "hash must be 64 hex digits"),
    ])
    func badLines(line: String, reason: String) async throws {
        try await withScratchStore { store, scratch in
            let file = scratch.url.appendingPathComponent("bad.jsonl")
            try (line + "\n").write(to: file, atomically: true, encoding: .utf8)
            do {
                try await store.importJSONL(from: file)
                Issue.record("import of \(line) should fail")
            } catch let EventStoreError.invalidImport(number, message) {
                #expect(number == 1)
                #expect(message.contains(reason), "\(message)")
            }
            #expect(store.head == 0)
        }
    }

    @Test("hand-written lines without hashes import, and the store computes the chain")
    func handWritten() async throws {
        try await withScratchStore { store, scratch in
            let file = scratch.url.appendingPathComponent("fixture.jsonl")
            try """
            {"position":1,"stream":"thread-1","stream_version":1,"event_id":"00000000-0000-4000-8000-000000000001","type":"thread.created","schema_version":1,"recorded_at":1764050000000,"data":{"title": "Spaces kept"},"metadata":{}}
            {"position":2,"stream":"thread-1","stream_version":2,"event_id":"00000000-0000-4000-8000-000000000002","type":"message.added","schema_version":1,"recorded_at":1764050000001,"data":{"text":"hi"},"metadata":{"actor":"user_1"}}

            """.write(to: file, atomically: true, encoding: .utf8)
            #expect(try await store.importJSONL(from: file).events == 2)
            #expect(try await store.verify().isIntact)
            let events = try await store.read(after: 0, limit: 10)
            #expect(events[0].data == Data(#"{"title": "Spaces kept"}"#.utf8))
            #expect(events[1].decodedMetadata.actor == "user_1")
        }
    }

    @Test("an online backup taken while appending opens and verifies")
    func onlineBackup() async throws {
        try await withScratchStore { store, scratch in
            try await Self.fillStore(store)
            let writer = Task {
                for index in 0..<200 { try await store.append([event("during-\(index)")], to: "busy") }
            }
            let copyDirectory = DataDirectory(scratch.url.appendingPathComponent("backup"))
            try await store.backup(to: copyDirectory.file(for: store.identity))
            try await writer.value
            let copy = try EventStore.open(store.identity, in: copyDirectory, create: false)
            let report = try await copy.verify()
            #expect(report.isIntact)
            #expect(report.eventsVerified >= 40)
            try await copy.close()
            await #expect(throws: EventStoreError.self) { try await store.backup(to: copyDirectory.file(for: store.identity)) }
        }
    }

    @Test("the CLI exports, imports and backs up a data directory")
    func cli() async throws {
        try await withScratchStore(tenant: "user_cli") { store, scratch in
            try await Self.fillWithDomainEvents(store)
            try await store.close()
            let exported = try runProduct("clawcloud", ["export", "--data", scratch.url.path, "--tenant", "user_cli"])
            #expect(exported.status == 0)
            #expect(exported.out.split(separator: "\n").count == 40)
            let file = scratch.url.appendingPathComponent("cli.jsonl")
            try exported.out.write(to: file, atomically: true, encoding: .utf8)
            let imported = try runProduct("clawcloud", ["import", "--data", scratch.url.path, "--tenant", "user_clone", file.path])
            #expect(imported.status == 0, "\(imported.err)")
            let clone = scratch.data.file(for: .tenant(try TenantID("user_clone")))
            #expect(try Self.rawRows(store.url) == Self.rawRows(clone))
            let cloneQueue = try DatabaseQueue(path: clone.path)
            let projections = try await cloneQueue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM projection_versions") }
            try cloneQueue.close()
            #expect(projections == 10)
            let again = try runProduct("clawcloud", ["import", "--data", scratch.url.path, "--tenant", "user_clone", file.path])
            #expect(again.status == 1)
            #expect(again.err.contains("nothing was written"))

            let out = scratch.url.appendingPathComponent("backup").path
            let backup = try runProduct("clawcloud", ["backup", "--data", scratch.url.path, "--out", out])
            #expect(backup.status == 0, "\(backup.err)")
            let verify = try runProduct("clawcloud", ["verify", "--data", out])
            #expect(verify.status == 0)
            #expect(verify.out.split(separator: "\n").count == 2)
            let badTenant = try runProduct("clawcloud", ["export", "--data", scratch.url.path, "--tenant", "../etc"])
            #expect(badTenant.status != 0)
        }
    }
}
