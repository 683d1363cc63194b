import Domain
import EventStore
import Synchronization

/// The decided state of recently used streams, so that a command neither reads nor folds a
/// stream's history: it starts from the state at the version it last saw and applies only what
/// is new (the log is append-only, so a state at a version never changes).
///
/// Commands are decided on their store's writer (``EventStore/append(deciding:)``), where
/// ``fold(_:in:log:)`` checks the cached version against the log and reads only what is new; a
/// command then records what it appended here, which keeps a stream written only by this
/// process current without reading its events at all. Least recently used streams are dropped
/// beyond `capacity`.
final class StreamCache: Sendable {
    private struct Entry {
        /// The stream's state by decider (one stream may be decided by more than one).
        var folds: [ObjectIdentifier: any FoldedStream] = [:]
        var lastUse: UInt64 = 0
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var tick: UInt64 = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 20_000) {
        self.capacity = capacity
    }

    /// The state of `read` in `store` on its writer, at the stream's version in the log: the
    /// cached state when it is current, else brought up to date with what is new.
    func fold(_ read: StreamRead, in store: EventStore, log: WriterLog) throws -> any FoldedStream {
        let key = Self.key(read.stream, store)
        let version = try log.version(of: read.stream)
        let cached = cached(read, in: key)
        if let cached, cached.version == version { return cached }
        let fold = cached.flatMap { $0.version < version ? $0 : nil } ?? read.initial
        return try advance(fold, by: log.stream(read.stream, from: fold.version + 1), read, at: key)
    }

    /// The state of `stream` in `store` as `decider` folds it, read off the writer: what is
    /// cached plus what the log has after it.
    func state<D: Decider>(of stream: String, as decider: D.Type, in store: EventStore) async throws -> D.State {
        let read = StreamRead.stream(stream, as: decider)
        let key = Self.key(stream, store)
        let fold = cached(read, in: key) ?? read.initial
        return try advance(fold, by: await store.readStream(stream, from: fold.version + 1), read, at: key).state(as: decider)
    }

    /// `fold` with `recorded` (what the log holds after it) applied, and kept for later commands.
    private func advance(_ fold: consuming any FoldedStream, by recorded: [RecordedEvent], _ read: StreamRead, at key: String) throws -> any FoldedStream {
        var fold = fold
        if !recorded.isEmpty { fold.evolve(by: try recorded.map(DomainEvent.init)) }
        keep(fold, of: read.decider, at: key)
        return fold
    }

    /// The state of `read` in `store` as cached now, if it is.
    func cached(_ read: StreamRead, in store: EventStore) -> (any FoldedStream)? {
        cached(read, in: Self.key(read.stream, store))
    }

    private func cached(_ read: StreamRead, in key: String) -> (any FoldedStream)? {
        state.withLock { state in
            state.tick += 1
            state.entries[key]?.lastUse = state.tick
            return state.entries[key]?.folds[read.decider]
        }
    }

    /// Notes events this process appended to `stream`, the first at stream version `from`:
    /// every state cached at the version before is brought up to date (in place), others dropped.
    func appended(_ new: [DomainEvent], to stream: String, in store: EventStore, from version: Int64) {
        let key = Self.key(stream, store)
        state.withLock { state in
            guard var entry = state.entries.removeValue(forKey: key) else { return }
            for decider in Array(entry.folds.keys) {
                guard var fold = entry.folds.removeValue(forKey: decider), fold.version == version - 1 else { continue }
                fold.evolve(by: new)
                entry.folds[decider] = fold
            }
            if !entry.folds.isEmpty { state.entries[key] = entry }
        }
    }

    private func keep(_ fold: any FoldedStream, of decider: ObjectIdentifier, at key: String) {
        state.withLock { state in
            state.tick += 1
            state.entries[key, default: Entry()].lastUse = state.tick
            if (state.entries[key]?.folds[decider]?.version ?? -1) <= fold.version { state.entries[key]?.folds[decider] = fold }
            if state.entries.count > capacity {
                let oldest = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(state.entries.count - capacity * 3 / 4)
                for (key, _) in oldest { state.entries[key] = nil }
            }
        }
    }

    /// Streams are named per store: `instance` of one tenant is not `instance` of another.
    private static func key(_ stream: String, _ store: EventStore) -> String { "\(store.identity)\n\(stream)" }
}
