import Crypto
import Foundation

/// The tamper-evident chain: `hash(n) = SHA-256(hash(n-1) ‖ canonical(row n))`, with 32 zero bytes
/// before position 1.
///
/// The canonical bytes of a row are its fields in column order, each written unambiguously:
/// integers as 8 bytes big-endian, the event id as its 16 UUID bytes, and every string or JSON
/// payload as a 4-byte big-endian length followed by its bytes. Changing any byte of any column
/// changes the hash of that row and of every row after it.
public enum EventHash {
    /// The hash "before" the first event.
    public static let genesis = EventDigest.zero

    /// The hash of a row given its predecessor's hash.
    public static func chain(
        previous: EventDigest, position: Int64, stream: String, streamVersion: Int64, id: UUID, type: String,
        schemaVersion: Int, data: Data, metadata: Data, recordedAt: Int64
    ) -> EventDigest {
        var hasher = SHA256()
        previous.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        hasher.update(integer: position)
        hasher.update(string: stream)
        hasher.update(integer: streamVersion)
        withUnsafeBytes(of: id.uuid) { hasher.update(bufferPointer: $0) }
        hasher.update(string: type)
        hasher.update(integer: Int64(schemaVersion))
        hasher.update(lengthPrefixed: data)
        hasher.update(lengthPrefixed: metadata)
        hasher.update(integer: recordedAt)
        return hasher.finalize().withUnsafeBytes { EventDigest(bytes: $0)! }
    }

    /// Recomputes `event`'s hash from `previous`.
    public static func chain(previous: EventDigest, _ event: RecordedEvent) -> EventDigest {
        chain(previous: previous, position: event.position, stream: event.stream, streamVersion: event.streamVersion,
              id: event.id, type: event.type, schemaVersion: event.schemaVersion, data: event.data,
              metadata: event.metadata, recordedAt: event.recordedAt)
    }
}

extension SHA256 {
    fileprivate mutating func update(integer: Int64) {
        withUnsafeBytes(of: integer.bigEndian) { update(bufferPointer: $0) }
    }

    fileprivate mutating func update(lengthPrefixed bytes: Data) {
        withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { update(bufferPointer: $0) }
        update(data: bytes)
    }

    fileprivate mutating func update(string: String) {
        update(lengthPrefixed: Data(string.utf8))
    }
}
