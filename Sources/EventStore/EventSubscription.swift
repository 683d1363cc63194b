/// The tenant log as an `AsyncSequence`: every event after a position, first from disk
/// (catch-up), then live as appends commit — each event exactly once, in position order.
///
/// A subscriber that falls more than the store's buffer capacity behind is ended with
/// ``SubscriptionEnded`` carrying the last position it received; subscribing again from that
/// position resumes with nothing lost. Cancelling the consuming task ends the sequence.
public struct EventSubscription: AsyncSequence, Sendable {
    public typealias Element = RecordedEvent

    let store: EventStore
    let after: Int64

    public func makeAsyncIterator() -> Iterator {
        Iterator(store: store, cursor: after)
    }

    public struct Iterator: AsyncIteratorProtocol {
        private enum Phase {
            /// Reading from disk; not yet registered for live events.
            case catchUp
            /// Registered; reading from disk up to the position committed at registration.
            case bridging(LiveRegistration)
            /// Every later event arrives in the live buffer.
            case live(LiveRegistration)
        }

        private let store: EventStore
        private var cursor: Int64
        private var phase = Phase.catchUp
        private var pending: [RecordedEvent] = []
        private var pendingIndex = 0

        init(store: EventStore, cursor: Int64) {
            self.store = store
            self.cursor = cursor
        }

        public mutating func next() async throws -> RecordedEvent? {
            while true {
                if pendingIndex < pending.count {
                    let event = pending[pendingIndex]
                    pendingIndex += 1
                    cursor = event.position
                    return event
                }
                let batchSize = store.configuration.readBatchSize
                switch phase {
                case .catchUp:
                    try Task.checkCancellation()
                    let batch = try await store.read(after: cursor, limit: batchSize)
                    setPending(batch)
                    if batch.count < batchSize {
                        phase = .bridging(try store.hub.register(capacity: store.configuration.subscriberBufferCapacity))
                    }
                case .bridging(let registration):
                    let target = registration.committedAtRegistration
                    guard cursor < target else {
                        phase = .live(registration)
                        continue
                    }
                    let batch = try await store.read(after: cursor, through: target, limit: batchSize)
                    guard batch.first?.position == cursor + 1 else {
                        throw EventStoreError.corruptStore("position \(cursor + 1) is missing from the log")
                    }
                    setPending(batch)
                case .live(let registration):
                    do {
                        guard let event = try await registration.buffer.next() else { return nil }
                        if event.position <= cursor { continue }
                        cursor = event.position
                        return event
                    } catch let ended as LiveBufferEnded {
                        phase = .catchUp
                        switch ended.reason {
                        case .cancelled: throw CancellationError()
                        case .tooSlow:
                            throw SubscriptionEnded(reason: .tooSlow(capacity: registration.buffer.capacity), lastPosition: cursor)
                        case .storeClosed:
                            throw SubscriptionEnded(reason: .storeClosed, lastPosition: cursor)
                        }
                    }
                }
            }
        }

        private mutating func setPending(_ batch: [RecordedEvent]) {
            pending = batch
            pendingIndex = 0
        }
    }
}

/// Why a subscription stopped, and where to resume it.
public struct SubscriptionEnded: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The subscriber fell more than `capacity` events behind the log.
        case tooSlow(capacity: Int)
        /// The store was closed (shutdown or eviction).
        case storeClosed
    }

    public let reason: Reason
    /// The last position delivered: subscribe again from here to resume without loss.
    public let lastPosition: Int64

    public init(reason: Reason, lastPosition: Int64) {
        self.reason = reason
        self.lastPosition = lastPosition
    }

    public var description: String {
        switch reason {
        case .tooSlow(let capacity):
            "subscriber fell more than \(capacity) events behind; resume from position \(lastPosition)"
        case .storeClosed:
            "the store closed; resume from position \(lastPosition)"
        }
    }
}
