import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Makes commits durable after the write lock is released.
///
/// With `synchronous = FULL`, SQLite fsyncs the write-ahead log inside every commit, holding the
/// store's write lock and a thread for the length of the disk flush. Appends instead commit with
/// `synchronous = NORMAL` (the frames reach the OS, the flush is left out) and register what must
/// happen once they are durable; this syncer then runs one `fdatasync` of the WAL on its own queue
/// and calls back every commit made before that flush began, in commit order. Meanwhile the
/// writer is free for the next transaction, and one flush covers every commit it finds written.
///
/// Nothing is acknowledged or published before its flush: callers learn of a commit, and
/// subscribers see it, only when it would survive a power cut. (Readers of the file may see it a
/// moment earlier, as they may any committed transaction.) A failed flush fails that commit's
/// callers and every later one: the store must be reopened.
final class WALSyncer: Sendable {
    private struct State {
        /// Commits registered (the last ticket).
        var registered: UInt64 = 0
        var waiting: [(ticket: UInt64, then: @Sendable (Result<Void, any Error>) -> Void)] = []
        var flushing = false
        var failure: EventStoreError?
        var descriptor: Int32 = -1
        /// The store is closed: its close checkpointed the log into the file, durably.
        var closed = false
    }

    private let walPath: String
    private let directoryPath: String
    private let queue: DispatchQueue
    private let state = Mutex(State())
    /// Held by ``flushNow()`` and ``close()``, so that the descriptor is never closed under a flush.
    private let outsideFlushes = Mutex(())

    /// A syncer for the store file at `path` (its log is `<path>-wal`).
    init(databasePath path: String, label: String) {
        walPath = path + "-wal"
        directoryPath = (path as NSString).deletingLastPathComponent
        queue = DispatchQueue(label: label + ".sync")
    }

    /// Why the store can no longer be flushed, once a flush has failed.
    var failure: EventStoreError? { state.withLock { $0.failure } }

    /// Registers a commit that has just been written (call on the writer, right after the
    /// commit, so tickets follow commit order); `then` runs once it is durable, or has failed.
    ///
    /// With `onCaller`, a caller free to block (a lone writer on its own thread) may flush itself
    /// instead of handing off to the syncer's queue: when this returns true, it must call
    /// ``runFlushes()`` — after releasing the write lock.
    @discardableResult
    func committed(onCaller: Bool = false, then: @escaping @Sendable (Result<Void, any Error>) -> Void) -> Bool {
        let start = state.withLock { state -> Bool in
            state.registered += 1
            state.waiting.append((state.registered, then))
            guard !state.flushing else { return false }
            state.flushing = true
            return true
        }
        guard start else { return false }
        if onCaller { return true }
        queue.async { self.runFlushes() }
        return false
    }

    /// Waits until every commit registered so far is durable (or has failed).
    func drain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { $0.waiting.isEmpty && !$0.flushing }
            if idle { return continuation.resume() }
            committed { _ in continuation.resume() }
        }
    }

    /// Closes the log's descriptor (after the store's last commit, checkpointed durably).
    func close() {
        outsideFlushes.withLock { _ in
            let descriptor = state.withLock { state in
                defer { (state.descriptor, state.closed) = (-1, true) }
                return state.descriptor
            }
            if descriptor >= 0 { closeDescriptor(descriptor) }
        }
    }

    /// Flushes the log now, on the calling thread, outside the ticket order (a
    /// ``CommitJournal`` retiring a segment); nothing to do once the store is closed.
    func flushNow() throws {
        try outsideFlushes.withLock { _ in
            let (descriptor, closed) = state.withLock { ($0.descriptor, $0.closed) }
            if !closed { try flush(descriptor) }
        }
    }

    /// Flushes, and calls back what each flush covered, until no commit waits (on the syncer's
    /// queue, or on a caller that ``committed(onCaller:then:)`` chose). One flusher at a time:
    /// it stays the flusher until it has called back everything it took, so callbacks run in
    /// ticket order, never two at once.
    func runFlushes() {
        while true {
            let (target, descriptor, failure) = state.withLock { ($0.registered, $0.descriptor, $0.failure) }
            let outcome: Result<Void, any Error> = failure.map { .failure($0) } ?? Result { try flush(descriptor) }
            let done = state.withLock { state in
                if case .failure(let error as EventStoreError) = outcome { state.failure = error }
                let count = state.waiting.prefix { $0.ticket <= target }.count
                defer { state.waiting.removeFirst(count) }
                return Array(state.waiting.prefix(count))
            }
            for waiter in done { waiter.then(outcome) }
            let idle = state.withLock { state in
                if state.waiting.isEmpty { state.flushing = false }
                return !state.flushing
            }
            if idle { return }
        }
    }

    /// One `fdatasync` of the log, opening it (and syncing its directory entry) the first time.
    private func flush(_ opened: Int32) throws {
        var descriptor = opened
        if descriptor < 0 {
            descriptor = open(walPath, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw EventStoreError.syncFailed("cannot open \(walPath): errno \(errno)") }
            // The log's directory entry must be durable too, once: a new file's name is data.
            let directory = open(directoryPath, O_RDONLY | O_CLOEXEC)
            defer { if directory >= 0 { closeDescriptor(directory) } }
            guard directory >= 0, fsync(directory) == 0 else {
                closeDescriptor(descriptor)
                throw EventStoreError.syncFailed("cannot sync \(directoryPath): errno \(errno)")
            }
            state.withLock { $0.descriptor = descriptor }
        }
        guard syncData(descriptor) == 0 else { throw EventStoreError.syncFailed("flushing \(walPath): errno \(errno)") }
    }
}

