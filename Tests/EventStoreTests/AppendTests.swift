import EventStore
import Foundation
import Testing

@Suite("Appending")
struct AppendTests {
    @Test("expected versions: no stream, exact, exists, any")
    func expectedVersions() async throws {
        try await withScratchStore { store, _ in
            let first = try await store.append([event("a")], to: "thread-1", expecting: .noStream)
            #expect(first.position == 1)
            #expect(first.version(of: "thread-1") == 1)

            await #expect(throws: EventStoreError.conflict(stream: "thread-1", expected: .noStream, actual: 1)) {
                try await store.append([event("b")], to: "thread-1", expecting: .noStream)
            }
            await #expect(throws: EventStoreError.conflict(stream: "thread-2", expected: .exists, actual: 0)) {
                try await store.append([event("b")], to: "thread-2", expecting: .exists)
            }
            await #expect(throws: EventStoreError.conflict(stream: "thread-1", expected: .exact(0), actual: 1)) {
                try await store.append([event("b")], to: "thread-1", expecting: .exact(0))
            }

            let second = try await store.append([event("b"), event("c")], to: "thread-1", expecting: .exact(1))
            #expect(second.events.map(\.position) == [2, 3])
            #expect(second.events.map(\.streamVersion) == [2, 3])
            try await store.append([event("d")], to: "thread-1", expecting: .exists)
            try await store.append([event("e")], to: "thread-9", expecting: .any)
            #expect(store.head == 5)
            #expect(try await store.version(of: "thread-1") == 4)
            #expect(try await store.readStream("thread-1").map(\.streamVersion) == [1, 2, 3, 4])
        }
    }

    @Test("a failed condition writes nothing")
    func conflictWritesNothing() async throws {
        try await withScratchStore { store, _ in
            try await store.append([event("a")], to: "s", expecting: .noStream)
            await #expect(throws: EventStoreError.self) {
                try await store.append([event("b"), event("c")], to: "s", expecting: .exact(7))
            }
            #expect(store.head == 1)
            #expect(try await store.read(after: 0, limit: 10).count == 1)
        }
    }

    @Test("the writer's known stream versions follow the log: an append that fails after advancing a stream, and a restore behind the writer's back")
    func knownVersionsFollowTheLog() async throws {
        try await withScratchStore { source, _ in
            for label in ["a", "b", "c"] { try await source.append([event(label)], to: "s") }
            var lines: [Data] = []
            try await source.exportJSONL { lines.append($0) }
            try await withScratchStore(tenant: "user_copy") { store, _ in
                #expect(try await store.restore(Array(lines.prefix(1))) == 1)
                // The first part advances "s" to 2; the second fails its condition: nothing is written.
                await #expect(throws: EventStoreError.conflict(stream: "t", expected: .exact(5), actual: 0)) {
                    try await store.append([StreamAppend(stream: "s", expected: .exact(1), events: [event("x")]),
                                            StreamAppend(stream: "t", expected: .exact(5), events: [event("y")])])
                }
                // A decision that only reads "s" (so the writer knows version 1).
                try await store.append(deciding: { log in
                    let version = try log.version(of: "s")
                    guard version == 1 else { throw EventStoreError.conflict(stream: "s", expected: .exact(1), actual: version) }
                    return WriterDecision(parts: [])
                })
                // The log grows behind the writer's back; conditions see it.
                #expect(try await store.restore(lines) == 2)
                await #expect(throws: EventStoreError.conflict(stream: "s", expected: .exact(1), actual: 3)) {
                    try await store.append([event("d")], to: "s", expecting: .exact(1))
                }
                try await store.append([event("d")], to: "s", expecting: .exact(3))
                #expect(try await store.version(of: "s") == 4)
            }
        }
    }

    @Test("N racing appends at one expected version: exactly one wins, the rest see the actual version")
    func racingConflicts() async throws {
        try await withScratchStore { store, _ in
            try await store.append([event("seed")], to: "approval-1", expecting: .noStream)
            let racers = 48
            let outcomes = await withTaskGroup(of: Result<AppendResult, any Error>.self) { group in
                for index in 0..<racers {
                    group.addTask {
                        await outcome { try await store.append([event("racer-\(index)")], to: "approval-1", expecting: .exact(1)) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let winners = outcomes.compactMap { try? $0.get() }
            #expect(winners.count == 1)
            #expect(winners.first?.version(of: "approval-1") == 2)
            for case .failure(let error) in outcomes {
                #expect(error as? EventStoreError == .conflict(stream: "approval-1", expected: .exact(1), actual: 2))
            }
            #expect(store.head == 2)
        }
    }

    @Test("positions stay gapless and unique under concurrent appends across streams (written on the caller's thread or on the writer queue)",
          arguments: [true, false])
    func gaplessPositions(writesOnCallerThread: Bool) async throws {
        var configuration = EventStore.Configuration()
        configuration.writesOnCallerThread = writesOnCallerThread
        try await withScratchStore(configuration: configuration) { store, _ in
            let tasks = 32
            let perTask = 40
            let results = try await withThrowingTaskGroup(of: [AppendResult].self) { group in
                for task in 0..<tasks {
                    group.addTask {
                        var results: [AppendResult] = []
                        for index in 0..<perTask {
                            let count = index % 3 + 1
                            results.append(try await store.append(
                                (0..<count).map { event("t\(task)-\(index)-\($0)") }, to: "stream-\(task % 5)"))
                        }
                        return results
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let positions = results.flatMap { $0.events.map(\.position) }.sorted()
            #expect(positions == Array(1...Int64(positions.count)))
            // Each append's own events are contiguous.
            for result in results {
                let own = result.events.map(\.position)
                #expect(own == Array(own[0]...own[own.count - 1]))
            }
            // Stream versions are gapless per stream, and the stored log agrees.
            let log = try await store.read(after: 0, limit: 100_000)
            #expect(log.map(\.position) == positions)
            for stream in Set(log.map(\.stream)) {
                let versions = log.filter { $0.stream == stream }.map(\.streamVersion)
                #expect(versions == Array(1...Int64(versions.count)))
            }
            #expect(try await store.verify().isIntact)
        }
    }

    @Test("a multi-stream append is atomic: one failed condition writes nothing for any stream")
    func multiStreamAtomic() async throws {
        try await withScratchStore { store, _ in
            try await store.append([event("existing")], to: "credits")
            await #expect(throws: EventStoreError.conflict(stream: "credits", expected: .noStream, actual: 1)) {
                try await store.append([
                    StreamAppend(stream: "approval-7", expected: .noStream, events: [event("requested")]),
                    StreamAppend(stream: "credits", expected: .noStream, events: [event("charged")]),
                ])
            }
            #expect(store.head == 1)
            #expect(try await store.version(of: "approval-7") == 0)

            let result = try await store.append([
                StreamAppend(stream: "approval-7", expected: .noStream, events: [event("requested")]),
                StreamAppend(stream: "credits", expected: .exact(1), events: [event("charged"), event("again")]),
            ])
            #expect(result.events.map(\.position) == [2, 3, 4])
            #expect(result.version(of: "approval-7") == 1)
            #expect(result.version(of: "credits") == 3)
        }
    }

    @Test("a decided append checks its parts against the versions its decision read, a stream's later parts after its earlier ones")
    func decidedAppend() async throws {
        try await withScratchStore { store, _ in
            try await store.append([event("a"), event("b")], to: "s")
            let result = try await store.append { log in
                let version = try log.version(of: "s")
                return WriterDecision(parts: [
                    StreamAppend(stream: "s", expected: .exact(version), events: [event("c")]),
                    StreamAppend(stream: "t", expected: .noStream, events: [event("d")]),
                    StreamAppend(stream: "s", expected: .exact(version + 1), events: [event("e")]),
                ])
            }
            #expect(result.events.map(\.streamVersion) == [3, 1, 4])
            #expect(try await store.readStream("s").map(\.streamVersion) == [1, 2, 3, 4])
            // A decision expecting a version other than the one it read writes nothing.
            await #expect(throws: EventStoreError.conflict(stream: "s", expected: .exact(2), actual: 4)) {
                try await store.append { log in
                    _ = try log.version(of: "s")
                    return WriterDecision(parts: [StreamAppend(stream: "s", expected: .exact(2), events: [event("f")])])
                }
            }
            #expect(store.head == 5)
        }
    }

    @Test("malformed appends are refused and write nothing")
    func invalidAppends() async throws {
        try await withScratchStore { store, _ in
            let id = UUID()
            let cases: [[StreamAppend]] = [
                [],
                [StreamAppend(stream: "s", events: [])],
                [StreamAppend(stream: "", events: [event("a")])],
                [StreamAppend(stream: "s", events: [NewEvent(type: "", data: Data("{}".utf8))])],
                [StreamAppend(stream: "s", events: [NewEvent(type: "x", data: Data("{\n}".utf8))])],
                [StreamAppend(stream: "s", events: [event("a", id: id), event("b", id: id)])],
            ]
            for parts in cases {
                await #expect(throws: EventStoreError.self) { try await store.append(parts) }
            }
            #expect(store.head == 0)
        }
    }

    @Test("append-only: the schema rejects UPDATE and DELETE on events")
    func appendOnlySchema() async throws {
        try await withScratchStore { store, _ in
            try await store.append([event("a")], to: "s")
            await #expect(throws: (any Error).self) {
                try await store.write { try $0.execute(sql: "UPDATE events SET type = 'forged'") }
            }
            await #expect(throws: (any Error).self) {
                try await store.write { try $0.execute(sql: "DELETE FROM events") }
            }
            #expect(try await store.read(after: 0, limit: 10).first?.type == "test.happened")
        }
    }

    @Test("the writer runs with synchronous=FULL and secure_delete=FAST, and they hold after the pool opened")
    func synchronousFull() async throws {
        try await withScratchStore { store, _ in
            try await store.append([event("a")], to: "s")
            let (level, secureDelete) = try await store.writeWithoutTransaction { db in
                (try Int.fetchOne(db, sql: "PRAGMA synchronous"), try Int.fetchOne(db, sql: "PRAGMA secure_delete"))
            }
            #expect(level == 2)
            // FAST (2): whatever the library's default (Debian builds it on), freed pages are not zeroed.
            #expect(secureDelete == 2)
            let mode = try await store.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
        }
    }

    @Test("events keep their payload, metadata, ids and the store's clock")
    func envelope() async throws {
        var configuration = EventStore.Configuration()
        configuration.clock = { 1_764_050_000_000 }
        try await withScratchStore(configuration: configuration) { store, _ in
            let metadata = EventMetadata(actor: "user_1", commandID: "cmd-1", correlationID: "corr", causationID: nil, requestID: "req")
            let new = try NewEvent(type: "thread.created", schemaVersion: 2, payload: ["title": "Hello"], metadata: metadata)
            let stored = try await store.append([new], to: "thread-1").events[0]
            #expect(stored.id == new.id)
            #expect(stored.schemaVersion == 2)
            #expect(stored.data == Data(#"{"title":"Hello"}"#.utf8))
            #expect(stored.decodedMetadata == metadata)
            #expect(stored.recordedAt == 1_764_050_000_000)
            #expect(try await store.read(after: 0, limit: 1) == [stored])
        }
    }
}
