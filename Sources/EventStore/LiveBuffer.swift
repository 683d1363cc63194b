import Synchronization

/// A bounded queue of committed events for one live subscriber. When the subscriber falls more
/// than `capacity` events behind, the buffer ends instead of growing without bound.
final class LiveBuffer: Sendable {
    enum End: Sendable, Equatable {
        case tooSlow
        case storeClosed
        case cancelled
    }

    private struct State {
        var events: [RecordedEvent] = []
        var head = 0
        var waiter: CheckedContinuation<RecordedEvent?, any Error>?
        var end: End?

        var count: Int { events.count - head }

        mutating func popFirst() -> RecordedEvent? {
            guard head < events.count else { return nil }
            defer {
                head += 1
                if head == events.count {
                    events.removeAll(keepingCapacity: true)
                    head = 0
                }
            }
            return events[head]
        }

        /// An event when one is ready; throws when the buffer has ended; nil when the reader must wait.
        mutating func popReadyOrEnd() throws -> RecordedEvent? {
            if let event = popFirst() { return event }
            if let end { throw LiveBufferEnded(reason: end) }
            return nil
        }
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds events; returns false when the buffer overflowed and has ended.
    func push(_ batch: [RecordedEvent]) -> Bool {
        state.withLock { state in
            guard state.end == nil else { return false }
            state.events.append(contentsOf: batch)
            if state.count > capacity {
                state.end = .tooSlow
                state.events = []
                state.head = 0
                state.waiter?.resume(throwing: LiveBufferEnded(reason: .tooSlow))
                state.waiter = nil
                return false
            }
            if let waiter = state.waiter {
                state.waiter = nil
                waiter.resume(returning: state.popFirst())
            }
            return true
        }
    }

    /// Ends the buffer; a waiting reader is woken.
    func end(_ reason: End) {
        state.withLock { state in
            guard state.end == nil else { return }
            state.end = reason
            state.waiter?.resume(throwing: LiveBufferEnded(reason: reason))
            state.waiter = nil
        }
    }

    /// The next event, waiting for one; throws ``LiveBufferEnded`` once the buffer has ended
    /// and every event pushed before the end has been read.
    func next() async throws -> RecordedEvent? {
        if let ready = try state.withLock({ try $0.popReadyOrEnd() }) { return ready }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                state.withLock { state in
                    do {
                        if let ready = try state.popReadyOrEnd() {
                            continuation.resume(returning: ready)
                        } else {
                            state.waiter = continuation
                        }
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } onCancel: {
            end(.cancelled)
        }
    }
}

/// Why a live buffer stopped delivering.
struct LiveBufferEnded: Error {
    let reason: LiveBuffer.End
}
