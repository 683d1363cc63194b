import Dispatch
import GRDB
import GRDBSQLite
import Synchronization

/// Checkpoints a journaled store's write-ahead log on a queue of its own, off the writer threads.
///
/// SQLite checkpoints on its own once a commit leaves 1,000 pages or more in the log, on the
/// thread that committed. A server's stores share a few writer threads (see
/// ``EventStore/Configuration/writerTargetQueue``), and a checkpoint flushes the disk twice: one
/// checkpoint then holds up every tenant's appends for tens of milliseconds. A journaled store
/// replaces SQLite's hook with this one (`sqlite3_wal_hook`), which only notes that the log has
/// grown past ``EventStore/Configuration/checkpointPages``. The checkpoint then runs on the
/// checkpointer's queue, through the store's writer. GRDB runs a synchronous write on the calling
/// thread, so only that store's appends wait for it. The store's open transaction (see
/// ``DeferredCommit``) is committed first.
final class LogCheckpointer: Sendable {
    /// Every store's checkpoints, one at a time (also easier on the disk the journal flushes).
    private static let queue = DispatchQueue(label: "clawcloud.checkpoints")

    private struct State {
        var scheduled = false
        var closed = false
    }

    private let pages: Int32
    private let state = Mutex(State())
    private let checkpoint: @Sendable () -> Void

    /// A checkpointer that runs `checkpoint` once a commit leaves `pages` or more in the log.
    init(pages: Int32, checkpoint: @escaping @Sendable () -> Void) {
        self.pages = pages
        self.checkpoint = checkpoint
    }

    /// Makes this the log hook of `db`, the store's writer: SQLite's automatic checkpoints stop.
    /// The checkpointer must outlive the connection (the store keeps it).
    func install(on db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, logHook, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Stops checkpoints and waits for one under way (call before the store closes its file).
    func close() async {
        state.withLock { $0.closed = true }
        await withCheckedContinuation { continuation in Self.queue.async { continuation.resume() } }
    }

    /// After a commit, on the writer: the log holds `frames` pages.
    fileprivate func committed(leaving frames: Int32) {
        guard frames >= pages else { return }
        let schedule = state.withLock { state in
            defer { state.scheduled = true }
            return !state.scheduled && !state.closed
        }
        guard schedule else { return }
        Self.queue.async {
            // Commits made meanwhile (the checkpoint's own included) ask for no second one.
            if !self.state.withLock({ $0.closed }) { self.checkpoint() }
            self.state.withLock { $0.scheduled = false }
        }
    }
}

/// SQLite's log hook: called on the writer after every commit, with the pages now in the log.
private func logHook(_ context: UnsafeMutableRawPointer?, _ db: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ frames: Int32) -> Int32 {
    guard let context else { return SQLITE_OK }
    Unmanaged<LogCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(leaving: frames)
    return SQLITE_OK
}
