@testable import EventStore
import Foundation
import Testing

@Suite("Commit journal")
struct CommitJournalTests {
    /// Stores of `tenants` in `scratch`, sharing one journal (recovered, so ready to record).
    static func open(_ tenants: [String], in scratch: ScratchDirectory, segmentLimit: Int = 16 << 20, settleWait: Duration = .seconds(2),
                     deferredCommit: DeferredCommit = .init()) async throws -> (CommitJournal, [EventStore])
    {
        let journal = try CommitJournal(directory: scratch.url.appendingPathComponent("journal"), segmentLimit: segmentLimit, settleWait: settleWait)
        var configuration = EventStore.Configuration()
        configuration.journal = journal
        configuration.deferredCommit = deferredCommit
        configuration.writesOnCallerThread = false
        let stores = try tenants.map { try EventStore.open(.tenant(TenantID($0)), in: scratch.data, configuration: configuration) }
        try await journal.recover { identity, lines in
            guard let store = stores.first(where: { $0.identity == identity }) else { return 0 }
            return try await store.restore(lines)
        }
        return (journal, stores)
    }

    /// A copy of the files of `store` (file and log, as the disk would hold them) into `target`.
    static func copyFiles(of store: EventStore, to target: ScratchDirectory) throws {
        let destination = target.data.file(for: store.identity)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        for suffix in ["", "-wal"] {
            let source = URL(fileURLWithPath: store.url.path + suffix)
            guard FileManager.default.fileExists(atPath: source.path) else { continue }
            try FileManager.default.copyItem(at: source, to: URL(fileURLWithPath: destination.path + suffix))
        }
    }

    static func copyJournal(from source: ScratchDirectory, to target: ScratchDirectory) throws {
        try FileManager.default.copyItem(at: source.url.appendingPathComponent("journal"), to: target.url.appendingPathComponent("journal"))
    }

    static func events(_ store: EventStore) async throws -> [RecordedEvent] {
        try await store.read(after: 0, limit: 1_000)
    }

    @Test("records read back as written, up to their segment's end mark; a record cut short or damaged, or one of the file's earlier use, ends the segment there")
    func framing() throws {
        let events = (1...3).map { position in
            RecordedEvent(position: Int64(position), stream: "s", streamVersion: Int64(position), id: UUID(), type: "test.happened",
                          schemaVersion: 1, data: Data(#"{"n":\#(position)}"#.utf8), metadata: Data("{}".utf8),
                          recordedAt: 1_764_000_000_000, hash: .zero)
        }
        let identity = StoreIdentity.tenant(try TenantID("user_a"))
        /// Records as the journal writes them into segment `number`: stamped, then the end mark.
        func written(_ records: [[UInt8]], segment number: Int) -> Data {
            var bytes = records.flatMap { $0 }
            JournalRecord.stamp(&bytes, segment: number)
            return Data(bytes + JournalRecord.endMark(segment: number))
        }
        let first = JournalRecord.encode(Array(events.prefix(2)), of: identity)
        let second = JournalRecord.encode([events[2]], of: .platform)
        let whole = written([first, second], segment: 7)
        let records = [JournalRecord(identity: identity, lines: events.prefix(2).map(EventLine.encode)),
                       JournalRecord(identity: .platform, lines: [EventLine.encode(events[2])])]
        #expect(try JournalRecord.decode(whole, segment: 7) == (records, true))
        // Records of another segment are not this one's, nor is its end mark.
        #expect(try JournalRecord.decode(whole, segment: 8) == ([], false))
        #expect(try JournalRecord.decode(written([], segment: 8), segment: 7) == ([], false))
        let records7 = whole.prefix(whole.count - 24)
        for cut in [first.count + 1, first.count + 15, first.count + 30, records7.count - 1] {
            #expect(try JournalRecord.decode(whole.prefix(cut), segment: 7) == ([records[0]], false))
        }
        var damaged = whole
        damaged[records7.count - 5] ^= 0x01
        #expect(try JournalRecord.decode(damaged, segment: 7) == ([records[0]], false))
        // A segment written out as zeros and not used to its end: its records end at the zeros too.
        let zeros = Data(count: 100)
        #expect(try JournalRecord.decode(records7 + zeros, segment: 7) == (records, true))
        #expect(try JournalRecord.decode(whole.prefix(first.count) + Data(count: 3), segment: 7) == ([records[0]], true))
        // A record cut short over the zeros, or anything but zeros after the records, is not clean.
        for cut in [first.count + 1, first.count + 15, records7.count - 1] {
            #expect(try JournalRecord.decode(whole.prefix(cut) + zeros, segment: 7) == ([records[0]], false))
        }
        #expect(try JournalRecord.decode(records7 + zeros + Data([1]) + zeros, segment: 7) == (records, false))
        // A reused file: segment 9 written over segment 7's records. Its own end where its end
        // mark is; a write cut short leaves the earlier use's bytes, which are never read as its own.
        let reused = written([second], segment: 9)
        #expect(try JournalRecord.decode(reused + whole.dropFirst(reused.count), segment: 9) == ([records[1]], true))
        #expect(try JournalRecord.decode(whole, segment: 9) == ([], false))
        let overFirst = written([second, second], segment: 9)
        #expect(try JournalRecord.decode(overFirst.prefix(second.count) + whole.dropFirst(second.count), segment: 9) == ([records[1]], false))
        // Segments of builds before records were numbered ("CCJ1", 16-byte header) still read.
        func unnumbered(_ framed: [UInt8]) -> [UInt8] { Array("CCJ1".utf8) + framed[4..<8] + framed[16...] }
        let old = Data(unnumbered(first) + unnumbered(second)) + zeros
        #expect(try JournalRecord.decode(old, segment: 3) == (records, true))
        #expect(try JournalRecord.decode(old.prefix(unnumbered(first).count + 5), segment: 3) == ([records[0]], false))
    }

    @Test("segments are written out ahead and reused: two spares are written out as zeros, then each retired segment becomes a spare, and recovery reads a reused segment up to its own end mark")
    func reusedSegments() async throws {
        let live = ScratchDirectory()
        let crashed = ScratchDirectory()
        defer { live.remove(); crashed.remove() }
        // The retirer settles a full segment at once; the store's transaction stays open otherwise.
        let (journal, stores) = try await Self.open(["user_a"], in: live, segmentLimit: 4_096, settleWait: .zero,
                                                    deferredCommit: .init(maxAppends: 1_000, maxDelay: .seconds(600)))
        func files() throws -> [String: Int] {
            let names = try FileManager.default.contentsOfDirectory(atPath: journal.directory.path).filter { $0 != "lock" }
            return try Dictionary(uniqueKeysWithValues: names.map { name in
                (name, try FileManager.default.attributesOfItem(atPath: journal.directory.appendingPathComponent(name).path)[.size] as! Int)
            })
        }
        await journal.retirementsSettled()
        let first = try files()
        #expect(first["journal-1.log"] == 4_096)
        #expect(first.filter { $0.key.hasPrefix("spare-") && $0.key.hasSuffix(".log") }.values.sorted() == [4_096, 4_096])
        #expect(first.count == 3)
        // ~400 bytes a record: segment 1 and the two spares (2 and 3) are written out, 4 on reuse the
        // files of 1, 2, …, each retired (and kept as a spare) before the next fills.
        var appended = 0
        while journal.currentSegment < 5, appended < 500 {
            appended += 1
            try await stores[0].append([event("e\(appended)")], to: "s")
            await journal.retirementsSettled()
        }
        for _ in 1...2 {
            appended += 1
            try await stores[0].append([event("e\(appended)")], to: "s")
        }
        let statistics = journal.statistics
        #expect(journal.currentSegment == 5)
        #expect(statistics.segmentsWrittenOut == 3)
        #expect(statistics.segmentsRecycled == journal.currentSegment - 1)
        let after = try files()
        #expect(after.keys.filter { $0.hasPrefix("journal-") } == ["journal-5.log"])
        #expect(after.keys.filter { $0.hasPrefix("spare-") }.count == 2)
        #expect(after.count == 3)
        try Self.copyFiles(of: stores[0], to: crashed)
        try Self.copyJournal(from: live, to: crashed)
        let firstEvent = try await Self.events(stores[0])[0]
        try await stores[0].close()
        journal.close(retiring: true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: journal.directory.path) == ["lock"])
        // Left by the crashed process: a retired segment it was deleting a megabyte at a time, cut
        // short in a record, and a spare (and one named as builds before spares were reused named
        // it). Recovery reads none of them and keeps none.
        let crashedJournal = crashed.url.appendingPathComponent("journal")
        let cut = JournalRecord.encode([firstEvent], of: .tenant(try TenantID("user_a"))).dropLast(5)
        let leftovers = ["retired-1.log", "spare-left.log", "next-segment.zeroed"]
        for name in leftovers { try Data(cut).write(to: crashedJournal.appendingPathComponent(name)) }
        let recovering = try CommitJournal(directory: crashedJournal, segmentLimit: 4_096)
        var configuration = EventStore.Configuration()
        configuration.journal = recovering
        let store = try EventStore.open(.tenant(TenantID("user_a")), in: crashed.data, configuration: configuration)
        let recovery = try await recovering.recover { _, lines in try await store.restore(lines) }
        // The appends since the last segment retired were in the reused segment only.
        #expect(recovery.segments == 1)
        #expect(recovery.restored >= 2)
        #expect(store.head == Int64(appended))
        for name in leftovers { #expect(!FileManager.default.fileExists(atPath: crashedJournal.appendingPathComponent(name).path)) }
        try await store.close()
        recovering.close(retiring: true)
    }

    @Test("while no segment retires, the spares run out and each new segment is written out as zeros; recovery reads every segment")
    func sparesRunOut() async throws {
        let live = ScratchDirectory()
        let crashed = ScratchDirectory()
        defer { live.remove(); crashed.remove() }
        // The store never commits on its own, and the retirer would wait ten minutes for it.
        let (journal, stores) = try await Self.open(["user_a"], in: live, segmentLimit: 2_048, settleWait: .seconds(600),
                                                    deferredCommit: .init(maxAppends: 1_000, maxDelay: .seconds(600)))
        await journal.retirementsSettled()
        for index in 1...40 { try await stores[0].append([event("e\(index)")], to: "s") }
        let (statistics, current) = (journal.statistics, journal.currentSegment)
        #expect(current >= 5)
        #expect(statistics.segmentsRecycled == 0)
        // Segment 1, the two spares, one for each segment after them, and perhaps one spare ahead.
        #expect([current, current + 1].contains(statistics.segmentsWrittenOut))
        let segments = try FileManager.default.contentsOfDirectory(atPath: journal.directory.path).filter { $0.hasPrefix("journal-") }
        #expect(Set(segments) == Set((1...current).map { "journal-\($0).log" }))
        try Self.copyFiles(of: stores[0], to: crashed)
        try Self.copyJournal(from: live, to: crashed)
        try await stores[0].close()
        journal.close(retiring: false)
        let (_, recovered) = try await Self.open(["user_a"], in: crashed)
        #expect(recovered[0].head == 40)
        try await recovered[0].close()
    }

    @Test("a store that lost its last commits in a power cut gets them back from the journal, byte for byte")
    func restoresLostCommits() async throws {
        let live = ScratchDirectory()
        let crashed = ScratchDirectory()
        defer { live.remove(); crashed.remove() }
        let (journal, stores) = try await Self.open(["user_a", "user_b"], in: live)
        let (a, b) = (stores[0], stores[1])
        for index in 1...5 {
            try await a.append([event("a\(index)")], to: "s")
            try await b.append([event("b\(index)")], to: "s")
        }
        // The disk after a power cut: user_a's file as it was after five appends (its later
        // frames never reached the disk), user_b's as it is now, and the journal.
        try Self.copyFiles(of: a, to: crashed)
        for index in 6...9 { try await a.append([event("a\(index)")], to: "s", expecting: .exact(Int64(index - 1))) }
        try await b.append([event("b6"), event("b7")], to: "s")
        try Self.copyFiles(of: b, to: crashed)
        try Self.copyJournal(from: live, to: crashed)
        let expected = (try await Self.events(a), try await Self.events(b))
        for store in stores { try await store.close() }
        await journal.drain()
        journal.close(retiring: false)

        let (reopened, recovered) = try await Self.open(["user_a", "user_b"], in: crashed)
        #expect(try await Self.events(recovered[0]) == expected.0)
        #expect(try await Self.events(recovered[1]) == expected.1)
        #expect(recovered[0].head == 9)
        // The old segments are gone; new appends continue the restored logs.
        let segments = try FileManager.default.contentsOfDirectory(atPath: reopened.directory.path).filter { $0.hasPrefix("journal-") }
        #expect(segments.count == 1)
        let next = try await recovered[0].append([event("a10")], to: "s", expecting: .exact(9))
        #expect(next.position == 10)
        #expect(try await recovered[0].verify().isIntact)
        for store in recovered { try await store.close() }
        reopened.close(retiring: false)
    }

    @Test("a journal record that contradicts the store's log stops recovery")
    func refusesDivergence() async throws {
        let live = ScratchDirectory()
        let other = ScratchDirectory()
        defer { live.remove(); other.remove() }
        let (journal, stores) = try await Self.open(["user_a"], in: live)
        try await stores[0].append([event("original")], to: "s")
        await journal.drain()
        // Another history for the same tenant, with the first history's journal.
        let (otherJournal, otherStores) = try await Self.open(["user_a"], in: other)
        try await otherStores[0].append([event("different")], to: "s")
        try await otherStores[0].close()
        otherJournal.close(retiring: false)
        try FileManager.default.removeItem(at: other.url.appendingPathComponent("journal"))
        try Self.copyJournal(from: live, to: other)
        try await stores[0].close()
        journal.close(retiring: false)

        await #expect(throws: EventStoreError.self) { _ = try await Self.open(["user_a"], in: other) }
    }

    @Test("full segments are retired once the stores have committed and flushed what they hold, and what they held stays recoverable")
    func retiresSegments() async throws {
        let live = ScratchDirectory()
        let crashed = ScratchDirectory()
        defer { live.remove(); crashed.remove() }
        // The stores' transactions would stay open for the whole test, and the retirer does not
        // wait for them to settle on their own: only retiring commits them.
        let (journal, stores) = try await Self.open(["user_a", "user_b"], in: live, segmentLimit: 2_048, settleWait: .zero,
                                                    deferredCommit: .init(maxAppends: 1_000, maxDelay: .seconds(600)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores {
                group.addTask { for index in 1...200 { try await store.append([event("e\(index)")], to: "s") } }
            }
            try await group.waitForAll()
        }
        await journal.drain()
        var segments: [String] = []
        for _ in 0..<200 {
            segments = try FileManager.default.contentsOfDirectory(atPath: journal.directory.path).filter { $0.hasPrefix("journal-") }
            if segments.count <= 2 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        // 400 records of ~400 bytes went through segments of 2 KB: all but the newest (and one
        // being retired) are gone.
        #expect(segments.count <= 2)
        #expect(journal.failure == nil)
        await journal.retirementsSettled()
        #expect(journal.statistics.settledByRetirer > 0)
        try Self.copyFiles(of: stores[0], to: crashed)
        try Self.copyFiles(of: stores[1], to: crashed)
        try Self.copyJournal(from: live, to: crashed)
        for store in stores { try await store.close() }
        journal.close(retiring: false)
        let (_, recovered) = try await Self.open(["user_a", "user_b"], in: crashed)
        #expect(recovered.map(\.head) == [200, 200])
        for store in recovered { try await store.close() }
    }

    @Test("a store settles on its own: its first commit after a segment fills flushes its log in the background, and the segment retires without the retirer committing it",
          .timeLimit(.minutes(1)))
    func settlesOnItsOwn() async throws {
        let live = ScratchDirectory()
        let crashed = ScratchDirectory()
        defer { live.remove(); crashed.remove() }
        // The store commits every 3 appends; the retirer would wait ten minutes before settling it.
        let (journal, stores) = try await Self.open(["user_a"], in: live, segmentLimit: 2_048, settleWait: .seconds(600),
                                                    deferredCommit: .init(maxAppends: 3, maxDelay: .seconds(600)))
        for index in 1...40 { try await stores[0].append([event("e\(index)")], to: "s") }
        // A read commits what is open: its flush settles the last full segment too.
        #expect(try await Self.events(stores[0]).count == 40)
        await journal.retirementsSettled()
        let segments = try FileManager.default.contentsOfDirectory(atPath: journal.directory.path).filter { $0.hasPrefix("journal-") }
        // ~400 bytes a record in segments of 2 KB: several filled, all retired, each settled by
        // a flush after one of the store's commits.
        #expect(journal.currentSegment >= 4)
        #expect(segments == ["journal-\(journal.currentSegment).log"])
        #expect(journal.statistics.settledByRetirer == 0)
        // One flush for each segment after the first (the store commits in every segment; a
        // commit in the first settles nothing below it).
        #expect(journal.statistics.settledAfterCommit == journal.currentSegment - journal.firstSegment)
        #expect(journal.failure == nil)
        // Two more, left in the store's open transaction: the current segment still has them.
        for index in 41...42 { try await stores[0].append([event("e\(index)")], to: "s") }
        try Self.copyFiles(of: stores[0], to: crashed)
        try Self.copyJournal(from: live, to: crashed)
        try await stores[0].close()
        journal.close(retiring: false)
        let (_, recovered) = try await Self.open(["user_a"], in: crashed)
        #expect(recovered[0].head == 42)
        try await recovered[0].close()
    }
}

extension CommitJournalTests {
    @Test("one process at a time: a second journal on the same directory is refused; segments left by a crash need recovery")
    func exclusive() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let (journal, stores) = try await Self.open(["user_a"], in: scratch)
        try await stores[0].append([event("one")], to: "s")
        #expect(throws: EventStoreError.journalInUse(journal.directory.path)) {
            _ = try CommitJournal(directory: journal.directory)
        }
        // While it is held, no one else may recover it.
        #expect(!CommitJournal.needsRecovery(in: journal.directory))
        try await stores[0].close()
        journal.close(retiring: false)
        #expect(CommitJournal.needsRecovery(in: journal.directory))
        let (again, reopened) = try await Self.open(["user_a"], in: scratch)
        try await reopened[0].close()
        again.close(retiring: true)
        #expect(!CommitJournal.needsRecovery(in: journal.directory))
    }
}

extension CommitJournalTests {
    @Test("an append the journal cannot make durable is not acknowledged, nor any after it")
    func failureIsNotAcknowledged() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        // A journal not yet recovered has no segment to write: its flushes fail.
        let journal = try CommitJournal(directory: scratch.url.appendingPathComponent("journal"))
        var configuration = EventStore.Configuration()
        configuration.journal = journal
        let store = try EventStore.open(.tenant(TenantID("user_a")), in: scratch.data, configuration: configuration)
        await #expect(throws: EventStoreError.self) { try await store.append([event("lost")], to: "s") }
        await #expect(throws: EventStoreError.self) { try await store.append([event("later")], to: "s") }
        #expect(journal.failure != nil)
        #expect(store.head == 0)
        try? await store.close()
        journal.close(retiring: false)
    }
}
