import Synchronization

/// Fans committed events out to live subscribers.
///
/// The hub knows the last committed position. A subscriber registers atomically with respect to
/// publication: it learns the position up to which it must read from disk, and receives every
/// event after it in its buffer — so catch-up and live meet with no gap and no duplicate.
final class SubscriptionHub: Sendable {
    private struct State {
        var committed: Int64
        var buffers: [UInt64: LiveBuffer] = [:]
        var nextID: UInt64 = 0
        var closed = false
    }

    private let state: Mutex<State>

    init(committed: Int64) {
        state = Mutex(State(committed: committed))
    }

    /// The last position published (committed).
    var committed: Int64 { state.withLock { $0.committed } }

    /// How many live subscribers are registered.
    var subscriberCount: Int { state.withLock { $0.buffers.count } }

    /// Publishes events that have just been committed, in position order.
    func publish(_ events: [RecordedEvent]) {
        guard let last = events.last else { return }
        state.withLock { state in
            state.committed = last.position
            for (id, buffer) in state.buffers where !buffer.push(events) {
                state.buffers[id] = nil
            }
        }
    }

    /// Moves the committed position past events written in bulk (an import) without buffering
    /// them: live subscribers are ended as if they had fallen behind, and resume from disk.
    func resynchronize(committed position: Int64) {
        let buffers = state.withLock { state in
            state.committed = position
            defer { state.buffers = [:] }
            return Array(state.buffers.values)
        }
        for buffer in buffers { buffer.end(.tooSlow) }
    }

    /// Registers a live buffer; events after the returned position will arrive in it.
    func register(capacity: Int) throws -> LiveRegistration {
        try state.withLock { state in
            guard !state.closed else { throw EventStoreError.closed }
            state.nextID += 1
            let buffer = LiveBuffer(capacity: capacity)
            state.buffers[state.nextID] = buffer
            return LiveRegistration(hub: self, id: state.nextID, buffer: buffer, committedAtRegistration: state.committed)
        }
    }

    fileprivate func unregister(_ id: UInt64) {
        let buffer = state.withLock { $0.buffers.removeValue(forKey: id) }
        buffer?.end(.cancelled)
    }

    /// Ends every subscriber (the store is closing) and refuses new ones.
    func close() {
        let buffers = state.withLock { state in
            state.closed = true
            defer { state.buffers = [:] }
            return Array(state.buffers.values)
        }
        for buffer in buffers { buffer.end(.storeClosed) }
    }
}

/// A subscriber's place in the hub; dropping it unregisters the subscriber.
final class LiveRegistration: Sendable {
    private let hub: SubscriptionHub
    private let id: UInt64
    let buffer: LiveBuffer
    /// Every event up to this position was committed before registration: read it from disk.
    let committedAtRegistration: Int64

    fileprivate init(hub: SubscriptionHub, id: UInt64, buffer: LiveBuffer, committedAtRegistration: Int64) {
        self.hub = hub
        self.id = id
        self.buffer = buffer
        self.committedAtRegistration = committedAtRegistration
    }

    deinit { hub.unregister(id) }
}
