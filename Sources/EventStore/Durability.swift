/// How a store makes a commit durable before it acknowledges it.
enum Durability: Sendable {
    /// It does not (scratch stores): a commit is acknowledged at once.
    case none
    /// Its own log's flush (``WALSyncer``).
    case log(WALSyncer)
    /// A journal shared with other stores (``CommitJournal``); the store's own log is flushed
    /// in the background after its first commit in each new journal segment, by the journal
    /// when it retires a segment the store has not settled, and when the store closes.
    case journal(CommitJournal, StoreIdentity, log: WALSyncer)

    var isDurable: Bool {
        if case .none = self { false } else { true }
    }

    /// Why commits can no longer be made durable, once a flush has failed.
    var failure: EventStoreError? {
        switch self {
        case .none: nil
        case .log(let log): log.failure
        case .journal(let journal, _, _): journal.failure
        }
    }

    /// The store's own log, when it is flushed at all.
    var log: WALSyncer? {
        switch self {
        case .none: nil
        case .log(let log), .journal(_, _, let log): log
        }
    }

    /// Waits until every commit registered so far is durable (or has failed).
    func drain() async {
        switch self {
        case .none: break
        case .log(let log): await log.drain()
        case .journal(let journal, _, _): await journal.drain()
        }
    }
}
