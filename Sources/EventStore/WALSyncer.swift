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
        var descriptor: Int32 = -1
        /// The store is closed: its close checkpointed the log into the file, durably.
        var closed = false
    }

    private let walPath: String
    private let directoryPath: String
    private let queue: DispatchQueue
    private let tickets = FlushTickets()
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
    var failure: EventStoreError? { tickets.failure }

    /// Registers a commit that has just been written (call on the writer, right after the
    /// commit, so tickets follow commit order); `then` runs once it is durable, or has failed.
    ///
    /// With `onCaller`, a caller free to block (a lone writer on its own thread) may flush itself
    /// instead of handing off to the syncer's queue: when this returns true, it must call
    /// ``runFlushes()`` — after releasing the write lock.
    @discardableResult
    func committed(onCaller: Bool = false, then: @escaping @Sendable (Result<Void, any Error>) -> Void) -> Bool {
        guard tickets.register(then) else { return false }
        if onCaller { return true }
        queue.async { self.runFlushes() }
        return false
    }

    /// Waits until every commit registered so far is durable (or has failed).
    func drain() async {
        await tickets.drain()
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
    /// queue, or on a caller that ``committed(onCaller:then:)`` chose); see ``FlushTickets``.
    func runFlushes() {
        tickets.run { Result { try flush(state.withLock { $0.descriptor }) } }
    }

    /// One `fdatasync` of the log, opening it (and syncing its directory entry) the first time.
    private func flush(_ opened: Int32) throws {
        var descriptor = opened
        if descriptor < 0 {
            descriptor = open(walPath, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw EventStoreError.syncFailed("cannot open \(walPath): errno \(errno)") }
            // The log's directory entry must be durable too, once: a new file's name is data.
            do {
                try syncDirectory(directoryPath)
            } catch {
                closeDescriptor(descriptor)
                throw error
            }
            state.withLock { $0.descriptor = descriptor }
        }
        guard syncData(descriptor) == 0 else { throw EventStoreError.syncFailed("flushing \(walPath): errno \(errno)") }
    }
}

