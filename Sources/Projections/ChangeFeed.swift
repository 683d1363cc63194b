import Synchronization

/// Broadcasts projection changes, after commit and in position order, to live listeners: one
/// element per commit, holding every change of that commit.
///
/// Each listener has a bounded buffer; one that falls behind has its stream ended (rather than
/// silently skipping changes), and resumes by reading what changed since its last position
/// (``Projector/changes(_:after:)``) and listening anew.
public final class ChangeFeed: Sendable {
    private let listeners = Mutex<[Int: AsyncStream<[ProjectionChange]>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)

    public init() {}

    /// Commits published from now on; the stream ends if `capacity` commits are left unread.
    public func listen(capacity: Int = 10_000) -> AsyncStream<[ProjectionChange]> {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: [ProjectionChange].self, bufferingPolicy: .bufferingOldest(capacity))
        continuation.onTermination = { [weak self] _ in self?.listeners.withLock { _ = $0.removeValue(forKey: id) } }
        listeners.withLock { $0[id] = continuation }
        return stream
    }

    /// How many listeners are attached.
    public var listenerCount: Int { listeners.withLock { $0.count } }

    func publish(_ changes: [ProjectionChange]) {
        let current = listeners.withLock { Array($0.values) }
        for continuation in current {
            if case .dropped = continuation.yield(changes) { continuation.finish() }
        }
    }
}
