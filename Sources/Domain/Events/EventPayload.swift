/// The payload of one kind of domain event: its type name, and the stream it belongs to.
/// Only deciders create payloads (their memberwise initializers are internal).
///
/// Payloads are plain `Codable` values; their JSON (sorted keys, single line) is the event's
/// `data` in the store. ``DomainEvent`` lists every payload; ``Upcaster`` brings older schema
/// versions up to the current shape before a payload is decoded.
public protocol EventPayload: Codable, Sendable, Equatable {
    /// The event type name, e.g. `thread.created`.
    static var type: String { get }
    /// The stream the event is appended to, e.g. `thread-<id>`.
    var stream: String { get }
}

/// Milliseconds since 1970 UTC.
public typealias Millis = Int64

/// Whole micro-USD (1 USD = 1,000,000). Money is never a floating-point number.
public typealias Micros = Int64
