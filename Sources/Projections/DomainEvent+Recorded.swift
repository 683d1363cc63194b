import Domain
import EventStore

extension DomainEvent {
    /// The event a stored row holds, upcast to the current schema (see ``DomainEvent/decode(type:schemaVersion:data:)``).
    public init(_ recorded: RecordedEvent) throws {
        self = try DomainEvent.decode(type: recorded.type, schemaVersion: recorded.schemaVersion, data: recorded.data)
    }
}
