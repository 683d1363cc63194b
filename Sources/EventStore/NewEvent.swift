import Foundation

/// An event to append: the store keeps its payload as opaque JSON bytes and knows nothing of its meaning.
public struct NewEvent: Sendable, Hashable {
    /// Unique id. Appending the same ids again returns the original result and writes nothing.
    public var id: UUID
    /// Type name, e.g. `thread.created`.
    public var type: String
    /// Version of the payload's schema (upcasters turn old versions into the current one on read).
    public var schemaVersion: Int
    /// The payload: single-line JSON (UTF-8).
    public var data: Data
    /// Envelope context: single-line JSON, see ``EventMetadata``.
    public var metadata: Data

    /// An event from already-encoded JSON bytes.
    public init(id: UUID = UUID.timeOrdered(), type: String, schemaVersion: Int = 1, data: Data, metadata: Data = Data("{}".utf8)) {
        self.id = id
        self.type = type
        self.schemaVersion = schemaVersion
        self.data = data
        self.metadata = metadata
    }

    /// An event whose payload and metadata are encoded as compact JSON with sorted keys.
    public init<Payload: Encodable>(
        id: UUID = UUID.timeOrdered(), type: String, schemaVersion: Int = 1, payload: Payload, metadata: EventMetadata = EventMetadata()
    ) throws {
        self.init(
            id: id, type: type, schemaVersion: schemaVersion,
            data: try EventJSON.encoder.encode(payload), metadata: try EventJSON.encoder.encode(metadata))
    }

    /// Checks the shape rules the store enforces on every append (not the JSON grammar itself,
    /// which the typed initializer guarantees and import re-checks).
    func validate() throws {
        guard !type.isEmpty, type.utf8.count <= 128 else {
            throw EventStoreError.invalidEvent("event type must be 1-128 bytes")
        }
        guard schemaVersion >= 1 else { throw EventStoreError.invalidEvent("schema version must be >= 1") }
        guard !data.isEmpty, !metadata.isEmpty else { throw EventStoreError.invalidEvent("data and metadata must be JSON") }
        guard !Self.hasLineBreak(data), !Self.hasLineBreak(metadata) else {
            throw EventStoreError.invalidEvent("data and metadata must be single-line JSON")
        }
    }

    private static func hasLineBreak(_ bytes: Data) -> Bool {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return false }
            return memchr(base, 0x0A, raw.count) != nil || memchr(base, 0x0D, raw.count) != nil
        }
    }
}

/// The JSON coders events are written with: compact, keys sorted, so equal values give equal bytes.
public enum EventJSON {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static var decoder: JSONDecoder { JSONDecoder() }
}
