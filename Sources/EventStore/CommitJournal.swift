import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Makes the appends of many stores durable with one disk flush: a shared, append-only journal
/// in front of the stores' own logs — group commit across stores.
///
/// A store's own flush (``WALSyncer``) covers one file, and one tenant rarely has two appends in
/// flight, so with a hundred busy tenants every append pays a whole disk flush. A store given a
/// journal (``EventStore/Configuration/journal``) still writes to its own file first — into a
/// transaction it commits later, with `synchronous=NORMAL` (see ``DeferredCommit``) — then hands
/// the events it wrote to the journal. The journal appends them as a ``JournalRecord`` and runs one
/// `fdatasync` for every record written meanwhile, whichever store it belongs to; each append is
/// acknowledged, and published, after the flush that covers it. A failed flush fails its appends
/// and every later one.
///
/// After a power cut a store may lack its last commits; the journal still has them, and
/// ``recover(_:)`` gives them back before anything else is written (see
/// ``EventStore/restore(_:)``). A segment of the journal is retired once every store written
/// while it was current has committed and flushed its own log: at `segmentLimit` bytes the
/// journal moves to a new segment, and deletes the old one once those stores have settled
/// (``JournaledStore``). A store settles on its own: its first commit after the segment was
/// closed (a deferred commit is at most ``DeferredCommit/maxDelay`` away) has its log flushed in
/// the background (``settle(_:below:)``), one store at a time. Stores that have not settled
/// `settleWait` after the segment was closed — idle ones — the retirer settles itself. So a
/// full segment does not make every store commit and flush at once, whose flushes the
/// journal's own would wait behind on the disk.
///
/// Records overwrite a segment file written out ahead (`segmentLimit` bytes, flushed), in
/// place: a flush then writes only the records' blocks, not the file's new size as an append
/// would (half the time and CPU of a flush here). Up to two such files wait as spares
/// (`spare-<id>.log`); one is renamed into place when the current segment is full. A retired
/// segment becomes a spare as it is (its blocks are written already), so that under load no
/// segment is written out as zeros after the first two: only when no spare is left is one
/// written out, in the background. Records carry their segment's number and every write ends
/// with the segment's end mark (``JournalRecord``), so recovery reads a segment up to its end
/// mark and never mistakes a record of the file's earlier use for one of its own.
///
/// ```swift
/// let journal = try CommitJournal(directory: data.root.appendingPathComponent("journal"))
/// var configuration = EventStore.Configuration()
/// configuration.journal = journal
/// // open the stores with `configuration`, then, before serving:
/// try await journal.recover { identity, lines in try await store(identity).restore(lines) }
/// ```
public final class CommitJournal: Sendable {
    private struct State {
        /// Framed records not yet written (each appended before its ticket is registered).
        var buffer: [UInt8] = []
        /// Records in `buffer`.
        var pendingRecords = 0
        /// The segment being written: its number, descriptor and size (nil before ``recover(_:)``).
        var segment: (number: Int, descriptor: Int32, size: Int)?
        /// The stores with records in the current segment.
        var written: [ObjectIdentifier: any JournaledStore] = [:]
        /// Spare segment files, written out and flushed (the retirer adds them; rotation takes the first).
        var spares: [URL] = []
        /// Full segments handed to the retirer and not yet deleted.
        var retiring = 0
        /// The first segment this process writes (``recover(_:)`` settled the ones before it).
        var firstSegment = 0
        var statistics = Statistics()
    }

    /// What the journal has done since it opened.
    public struct Statistics: Sendable, Equatable {
        /// Flushes run (one `fdatasync` each).
        public var flushes = 0
        /// Records made durable: one per store commit.
        public var records = 0
        /// Bytes written.
        public var bytes = 0
        /// Store logs flushed in the background after a commit of the store's own.
        public var settledAfterCommit = 0
        /// Store logs the retirer committed and flushed itself (the store had not settled in time).
        public var settledByRetirer = 0
        /// Retired segments kept as spares.
        public var segmentsRecycled = 0
        /// Segment files written out as zeros: the first segment and the first two spares, then
        /// one whenever no spare was left (ahead of time, or when a segment had to be created).
        public var segmentsWrittenOut = 0

        /// Nothing done yet.
        public init() {}
    }

    /// Where the segments live (`journal-<number>.log`).
    public let directory: URL
    private let segmentLimit: Int
    /// How long a full segment waits for its stores to settle on their own.
    private let settleWait: Duration
    private let state = Mutex(State())
    private let tickets = FlushTickets()
    /// An exclusive `flock` on `lock` in the directory, held for the journal's life: one process at a time.
    private let lock: Int32
    private let flusher = DispatchQueue(label: "clawcloud.journal.flush")
    private let retirer = DispatchQueue(label: "clawcloud.journal.retire")

    /// A journal in `directory` (created when missing). Nothing can be recorded before
    /// ``recover(_:)`` has run. `settleWait` should be a little over the stores'
    /// ``DeferredCommit/maxDelay``, so that busy stores settle on their own.
    ///
    /// - Throws: ``EventStoreError/journalInUse(_:)`` while another process has it open.
    public init(directory: URL, segmentLimit: Int = 16 << 20, settleWait: Duration = .milliseconds(2_500)) throws {
        self.directory = directory
        self.segmentLimit = segmentLimit
        self.settleWait = settleWait
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        lock = try Self.lock(directory)
        spareDraftURL = directory.appendingPathComponent("spare-\(UUID.random().storedSpelling).draft")
    }

    /// Takes the lock, waiting up to half a second for a holder that is letting go: a process
    /// spawned by the last holder keeps a copy of its descriptor until it runs its own program
    /// (`O_CLOEXEC` closes it then), so a journal closed and opened again in one process can find
    /// it held for a moment (seen in the tests, which spawn servers while others reopen journals).
    private static func lock(_ directory: URL) throws -> Int32 {
        let descriptor = open(directory.appendingPathComponent("lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw EventStoreError.syncFailed("cannot open \(directory.path)/lock: errno \(errno)") }
        for attempt in 0..<25 {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return descriptor }
            if attempt < 24 { usleep(20_000) }
        }
        closeDescriptor(descriptor)
        throw EventStoreError.journalInUse(directory.path)
    }

    /// Whether the journal in `directory` holds segments no process has open: commits that the
    /// stores may lack, since the last process using it stopped without closing them (a crash,
    /// a power cut). False while a server holds it.
    public static func needsRecovery(in directory: URL) -> Bool {
        guard let numbers = try? segmentNumbers(in: directory), !numbers.isEmpty, let descriptor = try? lock(directory) else { return false }
        closeDescriptor(descriptor)
        return true
    }

    /// Why appends can no longer be made durable, once a flush has failed.
    var failure: EventStoreError? { tickets.failure }

    /// Flushes, records and bytes so far: records per flush is how many commits share a disk flush.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    // MARK: Recording

    /// Records the events a store has just written (call on its writer, right after writing
    /// them, so that a store's records follow its log's order); `then` runs once they are
    /// durable, or have failed. With no events (a retry of an append already committed), `then`
    /// still waits for the flush under way, which may be the one covering the original.
    func record(_ events: [RecordedEvent], of identity: StoreIdentity, store: any JournaledStore, then: @escaping FlushTickets.Completion) {
        let framed = events.isEmpty ? [] : JournalRecord.encode(events, of: identity)
        let recovered = state.withLock { state -> Bool in
            state.buffer += framed
            if !framed.isEmpty {
                state.written[ObjectIdentifier(store)] = store
                state.pendingRecords += 1
            }
            return state.segment != nil
        }
        if !recovered { tickets.fail(.syncFailed("the commit journal was used before it was recovered")) }
        if tickets.register(then) { flusher.async { self.runFlushes() } }
    }

    /// Fails every append not yet acknowledged, and every later one: a store lost commits the
    /// journal covers, and only ``recover(_:)``, in the next process, gives them back.
    func fail(_ error: EventStoreError) {
        tickets.fail(error)
    }

    /// Waits until everything recorded so far is durable (or has failed).
    public func drain() async {
        await tickets.drain()
    }

    /// Writes and flushes what is buffered, on the flusher queue, until nothing waits (see
    /// ``FlushTickets``); between flushes, moves to a new segment when the current one is full.
    private func runFlushes() {
        tickets.run {
            // Every ticket taken so far has its record in the buffer: records go in before tickets.
            var (bytes, records, segment) = state.withLock { state in
                var bytes: [UInt8] = []
                swap(&bytes, &state.buffer)
                defer { state.pendingRecords = 0 }
                return (bytes, state.pendingRecords, state.segment)
            }
            guard let segment else { return .failure(EventStoreError.syncFailed("the commit journal is closed")) }
            let count = bytes.count
            JournalRecord.stamp(&bytes, segment: segment.number)
            // The end mark follows the records; the next write starts over it.
            bytes += JournalRecord.endMark(segment: segment.number)
            do {
                try Self.writeRecords(bytes, to: segment.descriptor, at: segment.size)
            } catch {
                return .failure(error)
            }
            state.withLock { state in
                state.segment?.size += count
                state.statistics.flushes += 1
                state.statistics.records += records
                state.statistics.bytes += count
            }
            rotateIfFull()
            return .success(())
        }
    }

    /// Writes `bytes` into the segment at `offset` (over blocks written before) and flushes them.
    private static func writeRecords(_ bytes: [UInt8], to descriptor: Int32, at offset: Int) throws {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + written, bytes.count - written, off_t(offset + written)) }
            guard count > 0 else { throw EventStoreError.syncFailed("writing the commit journal: errno \(errno)") }
            written += count
        }
        guard syncData(descriptor) == 0 else { throw EventStoreError.syncFailed("flushing the commit journal: errno \(errno)") }
    }

    // MARK: Segments

    private func segmentURL(_ number: Int) -> URL {
        directory.appendingPathComponent("journal-\(number).log")
    }

    /// The segment files present, oldest first.
    private func segmentNumbers() throws -> [Int] {
        try Self.segmentNumbers(in: directory)
    }

    private static func segmentNumbers(in directory: URL) throws -> [Int] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).compactMap { name -> Int? in
            guard name.hasPrefix("journal-"), name.hasSuffix(".log") else { return nil }
            return Int(name.dropFirst("journal-".count).dropLast(".log".count))
        }.sorted()
    }

    /// How many spares the journal keeps ready: one for the next segment, and one more in case
    /// the next segment fills before the full one has retired.
    private static let spareTarget = 2

    /// A name for a new spare.
    private func newSpareURL() -> URL {
        directory.appendingPathComponent("spare-\(UUID.random().storedSpelling).log")
    }

    /// Where the retirer writes a spare out, before renaming it to a spare's name: a name of this
    /// journal's own, so that no file that may become a segment is ever written to as zeros.
    private let spareDraftURL: URL

    /// Creates segment `number` from a spare (renamed), else written out as zeros here, and makes
    /// its name durable.
    private func createSegment(_ number: Int) throws -> Int32 {
        let url = segmentURL(number)
        // Spares are taken under the lock, never while the retirer adds one.
        let renamed = state.withLock { state in
            while !state.spares.isEmpty {
                if rename(state.spares.removeFirst().path, url.path) == 0 { return true }
            }
            return false
        }
        if !renamed {
            try Self.zeroFilled(url, size: segmentLimit)
            state.withLock { $0.statistics.segmentsWrittenOut += 1 }
        }
        let descriptor = open(url.path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw EventStoreError.syncFailed("cannot open journal segment \(number): errno \(errno)") }
        do {
            try syncDirectory(directory.path)
        } catch {
            closeDescriptor(descriptor)
            throw error
        }
        return descriptor
    }

    /// On the retirer: writes out spares as zeros until `count` are ready — each as a draft,
    /// renamed to a spare under the lock while the journal is open. On failure there is no
    /// spare: the next segment is written out when it is created.
    private func prepareSpares(upTo count: Int) {
        while state.withLock({ $0.segment != nil && $0.spares.count < count }) {
            guard (try? Self.zeroFilled(spareDraftURL, size: segmentLimit)) != nil else { return }
            let spare = newSpareURL()
            let kept = state.withLock { state in
                guard state.segment != nil, state.spares.count < count, rename(spareDraftURL.path, spare.path) == 0 else { return false }
                state.spares.append(spare)
                state.statistics.segmentsWrittenOut += 1
                return true
            }
            if !kept {
                try? FileManager.default.removeItem(at: spareDraftURL)
                return
            }
        }
    }

    /// Writes a file of `size` zero bytes at `url` (replacing any) and flushes it.
    private static func zeroFilled(_ url: URL, size: Int) throws {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw EventStoreError.syncFailed("cannot create \(url.lastPathComponent): errno \(errno)") }
        defer { closeDescriptor(descriptor) }
        let zeros = [UInt8](repeating: 0, count: min(size, 1 << 20))
        var written = 0
        while written < size {
            let count = zeros.withUnsafeBytes { write(descriptor, $0.baseAddress!, min($0.count, size - written)) }
            guard count > 0 else { throw EventStoreError.syncFailed("writing out \(url.lastPathComponent): errno \(errno)") }
            written += count
        }
        guard fsync(descriptor) == 0 else { throw EventStoreError.syncFailed("flushing \(url.lastPathComponent): errno \(errno)") }
    }

    /// On the flusher, between flushes: once the segment is full, starts the next one and
    /// retires the full one in the background.
    private func rotateIfFull() {
        guard let full = state.withLock({ $0.segment }), full.size >= segmentLimit else { return }
        let next: Int32
        do {
            next = try createSegment(full.number + 1)
        } catch {
            tickets.fail(error as? EventStoreError ?? .syncFailed("creating journal segment \(full.number + 1): \(error)"))
            return
        }
        let stores = state.withLock { state in
            state.segment = (full.number + 1, next, 0)
            state.retiring += 1
            defer { state.written = [:] }
            return Array(state.written.values)
        }
        closeDescriptor(full.descriptor)
        let deadline = DispatchTime.now() + .nanoseconds(Int(settleWait / .nanoseconds(1)))
        retirer.async {
            // Normally the full segment becomes the next spare once retired; with none left, one
            // is written out now.
            self.prepareSpares(upTo: 1)
            self.retire(full.number, settling: stores, by: deadline)
        }
    }

    /// The segment records are written to now (0 before ``recover(_:)`` and after ``close(retiring:)``).
    var currentSegment: Int { state.withLock { $0.segment?.number ?? 0 } }

    /// The first segment this process writes: no store has records to settle below it.
    var firstSegment: Int { state.withLock { $0.firstSegment } }

    /// Flushes `store`'s log in the background, on the retirer, after a commit of the store's
    /// own that covers every record it has in segments below `segment` (call on its writer,
    /// right after the commit, with the segment current then: a record in an earlier segment
    /// was written before that commit). Once done, the store has settled those segments. Below
    /// the process's first segment there is nothing to settle: then it does nothing.
    func settle(_ store: any JournaledStore, below segment: Int) {
        guard segment > firstSegment else { return }
        retirer.async {
            do {
                try store.flushLog(settling: segment)
                self.state.withLock { $0.statistics.settledAfterCommit += 1 }
            } catch {
                self.tickets.fail(.syncFailed("flushing a store's log: \(error)"))
            }
        }
    }

    /// On the retirer: retires segment `number` — keeps it as a spare, or deletes it — once the
    /// stores it holds records of have committed and flushed them in their own files, looking
    /// again every 50 ms; at `deadline` it settles those that have not itself. If one cannot, the
    /// segment stays (recovery will use it) and the journal fails. Once the journal is closed,
    /// ``close(retiring:)`` decides.
    private func retire(_ number: Int, settling stores: [any JournaledStore], by deadline: DispatchTime) {
        defer { state.withLock { $0.retiring -= 1 } }
        guard state.withLock({ $0.segment != nil }) else { return }
        let waiting = stores.filter { $0.settledBelow <= number }
        do {
            if !waiting.isEmpty, DispatchTime.now() < deadline {
                state.withLock { $0.retiring += 1 }
                retirer.asyncAfter(deadline: min(.now() + .milliseconds(50), deadline)) {
                    self.retire(number, settling: waiting, by: deadline)
                }
                return
            }
            for store in waiting { try store.settleLog() }
            state.withLock { $0.statistics.settledByRetirer += waiting.count }
            if !recycle(number) { try removeGradually(number) }
        } catch {
            tickets.fail(.syncFailed("retiring journal segment \(number): \(error)"))
        }
    }

    /// Renames retired segment `number` to a spare, when fewer than ``spareTarget`` are ready
    /// and the journal is open; returns whether it did. What the file holds stays until records
    /// overwrite it: they carry the new segment's number, so recovery tells them apart. (Were
    /// the rename lost in a power cut, the segment would be read again by recovery, and its
    /// records, which every store holds, restore nothing.)
    private func recycle(_ number: Int) -> Bool {
        let spare = newSpareURL()
        return state.withLock { state in
            guard state.segment != nil, state.spares.count < Self.spareTarget, rename(segmentURL(number).path, spare.path) == 0 else { return false }
            state.spares.append(spare)
            state.statistics.segmentsRecycled += 1
            return true
        }
    }

    /// Deletes retired segment `number` a megabyte at a time, from its end, 10 ms apart:
    /// freeing a whole segment's blocks at once (a discard of 16 MB where the file system passes
    /// frees on to the disk) held up the journal's next flush by 15–17 ms here. It is renamed out
    /// of the segments first, so that recovery never reads a segment cut short this way.
    private func removeGradually(_ number: Int) throws {
        let retired = directory.appendingPathComponent("retired-\(number).log")
        guard rename(segmentURL(number).path, retired.path) == 0 else {
            throw EventStoreError.syncFailed("cannot rename journal segment \(number): errno \(errno)")
        }
        let descriptor = open(retired.path, O_WRONLY | O_CLOEXEC)
        if descriptor >= 0 {
            defer { closeDescriptor(descriptor) }
            var size = Int(lseek(descriptor, 0, SEEK_END))
            while size > 1 << 20 {
                size -= 1 << 20
                guard ftruncate(descriptor, off_t(size)) == 0 else { break }
                usleep(10_000)
            }
        }
        try FileManager.default.removeItem(at: retired)
    }

    /// Waits until the segments already handed to the retirer are retired (for tests that copy
    /// the files: a copy made while a segment is retired can miss both what the stores were
    /// committing and the segment, which no crash can).
    func retirementsSettled() async {
        while true {
            await withCheckedContinuation { continuation in retirer.async { continuation.resume() } }
            if state.withLock({ $0.retiring }) == 0 { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    // MARK: Recovery

    /// What ``recover(_:)`` found.
    public struct Recovery: Sendable, Equatable {
        /// Segments read.
        public var segments: Int
        /// Records read.
        public var records: Int
        /// Events the stores lacked and got back.
        public var restored: Int
    }

    /// Gives every store the commits it lacks, then starts a new segment: `restore` is called
    /// once per store with the lines of all its records, oldest first, and returns how many of
    /// them the store lacked (see ``EventStore/restore(_:)``, which checks the rest against what
    /// the store holds). The old segments are deleted once every store has made what it got
    /// durable — `restore` must return only then. Call once, before anything is appended to a
    /// store using the journal.
    ///
    /// A record cut short is only expected at the end of the newest segment (a write a power
    /// cut interrupted, which was never acknowledged); anywhere else it is an error.
    @discardableResult
    public func recover(_ restore: (StoreIdentity, [Data]) async throws -> Int) async throws -> Recovery {
        let numbers = try segmentNumbers()
        var recovery = Recovery(segments: numbers.count, records: 0, restored: 0)
        var stores: [StoreIdentity] = []
        var lines: [StoreIdentity: [Data]] = [:]
        for (index, number) in numbers.enumerated() {
            let (records, complete) = try JournalRecord.decode(Data(contentsOf: segmentURL(number)), segment: number)
            guard complete || index == numbers.count - 1 else {
                throw EventStoreError.corruptStore("journal segment \(number) is damaged before its end")
            }
            recovery.records += records.count
            for record in records {
                if lines[record.identity] == nil { stores.append(record.identity) }
                lines[record.identity, default: []] += record.lines
            }
        }
        for identity in stores { recovery.restored += try await restore(identity, lines[identity] ?? []) }
        for number in numbers { try FileManager.default.removeItem(at: segmentURL(number)) }
        // Spares and their drafts, and retired segments, that processes before this one left when
        // they stopped (`next-segment.*`: the spare and drafts of builds before spares were
        // recycled). A spare is only ever used by the process that made it.
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path)
        where name.hasPrefix("spare-") || name.hasPrefix("next-segment.") || name.hasPrefix("retired-") {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
        let first = (numbers.last ?? 0) + 1
        let descriptor = try createSegment(first)
        state.withLock { state in
            state.segment = (first, descriptor, 0)
            state.firstSegment = first
        }
        retirer.async { self.prepareSpares(upTo: Self.spareTarget) }
        return recovery
    }

    /// Stops writing (after ``drain()``) and lets go of the directory, once the retirer's work
    /// in progress (a spare being written out, a segment being deleted) has ended: it starts no
    /// more. With `retiring` (every store using the journal closed cleanly, its log checkpointed
    /// into its file durably), the segments and spares are deleted — but only after a
    /// ``recover(_:)`` that finished: segments a recovery could not restore always stay for the
    /// next one.
    public func close(retiring: Bool) {
        let descriptor = state.withLock { state in
            defer { state.segment = nil }
            return state.segment?.descriptor
        }
        if let descriptor { closeDescriptor(descriptor) }
        retirer.sync {}
        if retiring, descriptor != nil, let numbers = try? segmentNumbers() {
            for number in numbers { try? FileManager.default.removeItem(at: segmentURL(number)) }
            for spare in state.withLock({ $0.spares }) { try? FileManager.default.removeItem(at: spare) }
            try? syncDirectory(directory.path)
        }
        closeDescriptor(lock)
    }
}

/// A store whose commits a ``CommitJournal`` covers: before the journal lets go of a segment,
/// what it holds of each store must be durable in the store's own file.
protocol JournaledStore: AnyObject, Sendable {
    /// The journal segment below which every record of the store is durable in its own file.
    var settledBelow: Int { get }
    /// Commits what the store holds open and flushes its log (blocking), settling every segment
    /// before the journal's current one.
    func settleLog() throws
    /// Flushes the store's log (blocking) after a commit that covered its records below
    /// `segment`, settling them.
    func flushLog(settling segment: Int) throws
}
