import Domain
import EventStore
import Projections
import Synchronization

/// The decoded events of recently used streams, so that a command decodes only the events
/// appended since it last ran (the log is append-only, so a cached prefix never changes).
///
/// Commands record what they append here, so a stream written only by this process is known
/// without reading it at all; a command may trust the cache because the store's expected-version
/// check catches any other writer (the command then drops the entry and decides again from the
/// log). Least recently used streams are dropped beyond `capacity`.
final class StreamCache: Sendable {
    private struct Entry {
        var version: Int64
        var events: [DomainEvent]
        var lastUse: UInt64
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

    /// The events of `stream` in `store` and its version: from the cache alone when `trusted` and
    /// cached, else reading what is new.
    func events(of stream: String, in store: EventStore, trusted: Bool) async throws -> (events: [DomainEvent], version: Int64) {
        let key = Self.key(stream, store)
        let cached = state.withLock { state -> Entry? in
            state.tick += 1
            state.entries[key]?.lastUse = state.tick
            return state.entries[key]
        }
        if trusted, let cached { return (cached.events, cached.version) }
        var events = cached?.events ?? []
        var version = cached?.version ?? 0
        let recorded = try await store.readStream(stream, from: version + 1)
        for event in recorded {
            events.append(try DomainEvent(event))
            version = event.streamVersion
        }
        keep(key, Entry(version: version, events: events, lastUse: 0))
        return (events, version)
    }

    /// Notes events this process appended to `stream`, the first at stream version `from`.
    func appended(_ new: [DomainEvent], to stream: String, in store: EventStore, from version: Int64) {
        let key = Self.key(stream, store)
        state.withLock { state in
            guard var entry = state.entries[key], entry.version == version - 1 else {
                state.entries[key] = nil
                return
            }
            entry.events += new
            entry.version += Int64(new.count)
            state.entries[key] = entry
        }
    }

    /// Forgets `stream` (another writer changed it).
    func forget(_ stream: String, in store: EventStore) {
        _ = state.withLock { $0.entries.removeValue(forKey: Self.key(stream, store)) }
    }

    private func keep(_ key: String, _ entry: Entry) {
        state.withLock { state in
            state.tick += 1
            var entry = entry
            entry.lastUse = state.tick
            if (state.entries[key]?.version ?? -1) <= entry.version { state.entries[key] = entry }
            if state.entries.count > capacity {
                let oldest = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(state.entries.count - capacity * 3 / 4)
                for (key, _) in oldest { state.entries[key] = nil }
            }
        }
    }

    /// Streams are named per store: `instance` of one tenant is not `instance` of another.
    private static func key(_ stream: String, _ store: EventStore) -> String { "\(store.identity)\n\(stream)" }
}
