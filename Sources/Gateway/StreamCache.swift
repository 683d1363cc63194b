import Domain
import EventStore
import Synchronization

/// The decoded events of recently used streams, so that a command reads and decodes only the
/// events appended since it last ran (the log is append-only, so a cached prefix never changes).
/// Least recently used streams are dropped beyond `capacity`.
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

    /// The events of `stream` in `store` (of `tenant`) and its version, reading only what is new.
    func events(of stream: String, tenant: TenantID, in store: EventStore) async throws -> (events: [DomainEvent], version: Int64) {
        let key = "\(tenant.rawValue)\n\(stream)"
        let cached = state.withLock { $0.entries[key] }
        var events = cached?.events ?? []
        var version = cached?.version ?? 0
        let recorded = try await store.readStream(stream, from: version + 1)
        for event in recorded {
            events.append(try DomainEvent.decode(type: event.type, schemaVersion: event.schemaVersion, data: event.data))
            version = event.streamVersion
        }
        let result = (events, version)
        state.withLock { state in
            state.tick += 1
            if (state.entries[key]?.version ?? -1) <= version {
                state.entries[key] = Entry(version: version, events: events, lastUse: state.tick)
            }
            if state.entries.count > capacity {
                let oldest = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(state.entries.count - capacity * 3 / 4)
                for (key, _) in oldest { state.entries[key] = nil }
            }
        }
        return result
    }
}
