/// Events for one stream under one condition: a part of an atomic append.
public struct StreamAppend: Sendable, Hashable {
    public var stream: String
    public var expected: ExpectedVersion
    public var events: [NewEvent]

    public init(stream: String, expected: ExpectedVersion = .any, events: [NewEvent]) {
        self.stream = stream
        self.expected = expected
        self.events = events
    }
}

/// The outcome of an append.
public struct AppendResult: Sendable, Hashable {
    /// The events as stored, in position order.
    public let events: [RecordedEvent]
    /// True when the ids had already been appended: ``events`` is the original result and nothing was written.
    public let isRetry: Bool

    /// The position of the last event of this append.
    public var position: Int64 { events.last?.position ?? 0 }

    /// The version of `stream` after this append (0 when it holds none of this append's events).
    public func version(of stream: String) -> Int64 {
        events.last { $0.stream == stream }?.streamVersion ?? 0
    }
}
