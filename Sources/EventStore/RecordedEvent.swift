import Foundation

/// An event as stored: its payload plus the envelope the store assigned at append time.
public struct RecordedEvent: Sendable, Hashable {
    /// Per-tenant position: gapless, strictly increasing, starting at 1.
    public let position: Int64
    /// The stream (aggregate) it belongs to, e.g. `thread-7`.
    public let stream: String
    /// Version within the stream, starting at 1.
    public let streamVersion: Int64
    public let id: UUID
    public let type: String
    public let schemaVersion: Int
    /// Payload JSON bytes, exactly as appended.
    public let data: Data
    /// Metadata JSON bytes, exactly as appended.
    public let metadata: Data
    /// Milliseconds since 1970 UTC, assigned by the store's clock.
    public let recordedAt: Int64
    /// SHA-256 over the previous event's hash and this row's canonical bytes (see ``EventHash``).
    public let hash: EventDigest

    public init(position: Int64, stream: String, streamVersion: Int64, id: UUID, type: String, schemaVersion: Int,
                data: Data, metadata: Data, recordedAt: Int64, hash: EventDigest) {
        self.position = position
        self.stream = stream
        self.streamVersion = streamVersion
        self.id = id
        self.type = type
        self.schemaVersion = schemaVersion
        self.data = data
        self.metadata = metadata
        self.recordedAt = recordedAt
        self.hash = hash
    }

    /// The metadata decoded, or an empty value when it does not decode.
    public var decodedMetadata: EventMetadata {
        (try? EventJSON.decoder.decode(EventMetadata.self, from: metadata)) ?? EventMetadata()
    }
}
