/// Errors of the event store. Each names what went wrong in words an operator can act on.
public enum EventStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stream's version did not meet the append's condition; nothing was written.
    case conflict(stream: String, expected: ExpectedVersion, actual: Int64)
    /// Event ids that were already appended came back with other content; nothing was written.
    case idempotencyMismatch(eventID: String)
    /// The tenant id is not acceptable (see ``TenantID``).
    case invalidTenantID(String)
    /// An event or append is malformed; nothing was written.
    case invalidEvent(String)
    /// The file belongs to another identity than the one asked for.
    case identityMismatch(expected: String, found: String)
    /// The store file does not exist (and opening was not allowed to create it).
    case storeNotFound(String)
    /// The file is not a ClawCloud store, or its content breaks the store's invariants.
    case corruptStore(String)
    /// An import line or sequence is invalid; nothing was written.
    case invalidImport(line: Int, reason: String)
    /// The store has been closed.
    case closed
    /// Flushing the write-ahead log to disk failed; the store must be reopened.
    case syncFailed(String)
    /// Another process holds the data directory's commit journal (a server is running on it).
    case journalInUse(String)

    public var description: String {
        switch self {
        case let .conflict(stream, expected, actual):
            "conflict on stream \(stream): expected \(expected), actual version \(actual)"
        case let .idempotencyMismatch(eventID):
            "event \(eventID) was already appended with different content"
        case let .invalidTenantID(reason): reason
        case let .invalidEvent(reason): "invalid event: \(reason)"
        case let .identityMismatch(expected, found): "store belongs to \(found), not \(expected)"
        case let .storeNotFound(what): "no store for \(what)"
        case let .corruptStore(reason): "corrupt store: \(reason)"
        case let .invalidImport(line, reason): "import line \(line): \(reason)"
        case .closed: "the store is closed"
        case let .syncFailed(reason): "the store could not be flushed to disk (\(reason)); reopen it"
        case let .journalInUse(path): "the commit journal \(path) is in use by another process (is a server running on this data directory?)"
        }
    }
}
