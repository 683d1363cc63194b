/// How a journaled store defers its own commits.
///
/// With a ``CommitJournal`` the journal's flush is what makes an append durable, so the store's
/// own file need not commit each append: its appends go into one write transaction, each in a
/// savepoint, which stays open across acknowledged appends and commits once it holds
/// ``maxAppends`` of them or has been open for ``maxDelay`` — one commit (and one write of each
/// changed page to the log) for many appends, instead of one per append.
///
/// Nothing is lost and no reader is misled:
/// - an append is acknowledged only after the journal's flush covers it, so after a crash
///   ``CommitJournal/recover(_:)`` gives the store what its open transaction held;
/// - every read and every other write through the store (``EventStore/read(_:)``,
///   ``EventStore/write(_:)``, the event reads, backups, close) commits the open transaction
///   first, so it sees every acknowledged append;
/// - before the journal retires a segment, the stores it covers commit and flush their logs.
public struct DeferredCommit: Sendable {
    /// Appends after which the open transaction commits.
    public var maxAppends: Int
    /// How long the transaction may stay open after its first append.
    public var maxDelay: Duration

    public init(maxAppends: Int = 512, maxDelay: Duration = .seconds(2)) {
        self.maxAppends = maxAppends
        self.maxDelay = maxDelay
    }
}
