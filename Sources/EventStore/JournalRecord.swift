import Crypto
import Foundation

/// One commit as the ``CommitJournal`` stores it: whose log it belongs to and the events it
/// committed, as export lines (``EventLine``: positions, ids, timestamps and hashes kept).
///
/// On disk a record is framed so that a write cut short by a power loss is recognised and
/// ignored: `"CCJ1"`, the payload's length (4 bytes, little-endian), the first 8 bytes of the
/// payload's SHA-256, then the payload — the identity, a newline, and one line per event.
struct JournalRecord: Equatable, Sendable {
    var identity: StoreIdentity
    var lines: [Data]

    private static let magic: [UInt8] = Array("CCJ1".utf8)
    private static let headerSize = 16

    /// The framed bytes of a record of `events`.
    static func encode(_ events: [RecordedEvent], of identity: StoreIdentity) -> [UInt8] {
        var payload = [UInt8](identity.recorded.utf8)
        for event in events {
            payload.append(0x0A)
            EventLine.encode(event, into: &payload)
        }
        var framed = magic
        framed.reserveCapacity(headerSize + payload.count)
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { framed.append(contentsOf: $0) }
        framed.append(contentsOf: SHA256.hash(data: payload).prefix(8))
        framed.append(contentsOf: payload)
        return framed
    }

    /// The records of a segment's bytes, in order, and whether they end cleanly — at the end of
    /// the bytes or at a tail of zeros (the part of a segment written out ahead and not used
    /// yet). `complete` is false when the bytes end in a record cut short (or damaged), which is
    /// then left out with everything after it.
    static func decode(_ bytes: Data) throws -> (records: [JournalRecord], complete: Bool) {
        var records: [JournalRecord] = []
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            guard bytes.endIndex - offset >= headerSize, bytes[offset..<offset + 4].elementsEqual(magic) else {
                return (records, bytes[offset...].withUnsafeBytes { tail in tail.allSatisfy { $0 == 0 } })
            }
            let length = bytes[offset + 4..<offset + 8].reversed().reduce(0) { $0 << 8 | Int($1) }
            let start = offset + headerSize
            guard bytes.endIndex - start >= length else { return (records, false) }
            let payload = bytes[start..<start + length]
            guard SHA256.hash(data: payload).prefix(8).elementsEqual(bytes[offset + 8..<offset + 16]) else { return (records, false) }
            let parts = payload.split(separator: 0x0A, omittingEmptySubsequences: false)
            let identity = try StoreIdentity(recorded: String(decoding: parts[0], as: UTF8.self))
            records.append(JournalRecord(identity: identity, lines: parts.dropFirst().map { Data($0) }))
            offset = start + length
        }
        return (records, true)
    }
}
