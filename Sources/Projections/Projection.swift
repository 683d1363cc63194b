import Domain
import EventStore
import Foundation

/// A read model: a name, a version, its collections (tables of JSON rows), and how each event
/// changes them.
///
/// Rows are JSON objects keyed by a string, with an optional `scope` and `sort` for queries
/// (e.g. scope `archived`, sort `updatedAt`). Bump ``version`` whenever ``apply(_:_:_:)`` would
/// give other rows for the same events: the projector then rebuilds the projection from the log
/// into new tables while the old ones keep answering, and swaps them in one transaction.
public protocol Projection: Sendable {
    var name: String { get }
    var version: Int { get }
    var collections: [String] { get }
    /// Applies one event. Reads and writes go through `rows`, which batches them.
    func apply(_ event: DomainEvent, _ context: EventContext, _ rows: ProjectionRows) throws
}

/// What a projection may know about an event besides its payload.
public struct EventContext: Sendable {
    public let position: Int64
    public let recordedAt: Millis
    public let stream: String
    public let type: String
    public let hash: EventDigest
    /// The raw metadata JSON (actor, causation, …); see ``metadata``.
    public let rawMetadata: Data

    public init(_ event: RecordedEvent) {
        position = event.position
        recordedAt = event.recordedAt
        stream = event.stream
        type = event.type
        hash = event.hash
        rawMetadata = event.metadata
    }

    /// The metadata as JSON (parsed on demand: most projections never look).
    public var metadata: JSONValue { (try? JSONParser.parse(rawMetadata)) ?? .object([:]) }
}

/// A row change, published after commit: `{projection, collection, key, op, row, position}`.
public struct ProjectionChange: Sendable, Equatable {
    public enum Operation: String, Sendable { case upsert, delete }

    public let projection: String
    public let collection: String
    public let key: String
    public let op: Operation
    /// The row after the change (nil for a delete).
    public let row: Row?
    /// The position of the event that made the change.
    public let position: Int64
}
