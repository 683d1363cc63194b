import Crypto
import Foundation

/// One commit as the ``CommitJournal`` stores it: whose log it belongs to and the events it
/// committed, as export lines (``EventLine``: positions, ids, timestamps and hashes kept).
///
/// On disk a record is framed so that a write cut short by a power loss is recognised and
/// ignored, and so that a record left in a reused segment file by its earlier use is never read
/// as one of its own: `"CCJ2"`, the payload's length (4 bytes, little-endian), the number of the
/// segment it was written to (8 bytes, little-endian), the first 8 bytes of the payload's
/// SHA-256, then the payload — the identity, a newline, and one line per event.
///
/// Every write into a segment ends with an *end mark* (``endMark(segment:)``), which the next
/// write overwrites: a segment's records end cleanly at the end mark of its own number. Segments
/// written by builds before the segment number was framed (`"CCJ1"`, no number, a 16-byte
/// header) end at their zero tail; they are still read, so that an upgrade recovers them.
struct JournalRecord: Equatable, Sendable {
    var identity: StoreIdentity
    var lines: [Data]

    private static let magic: [UInt8] = Array("CCJ2".utf8)
    private static let endMagic: [UInt8] = Array("CCJE".utf8)
    private static let unnumberedMagic: [UInt8] = Array("CCJ1".utf8)
    private static let headerSize = 24
    private static let unnumberedHeaderSize = 16
    /// Where a record's segment number sits in its header.
    private static let numberOffset = 8

    /// The framed bytes of a record of `events`, for segment 0: ``stamp(_:segment:)`` sets the
    /// segment once the journal knows which one the record goes to.
    static func encode(_ events: [RecordedEvent], of identity: StoreIdentity) -> [UInt8] {
        var payload = [UInt8](identity.recorded.utf8)
        for event in events {
            payload.append(0x0A)
            EventLine.encode(event, into: &payload)
        }
        var framed = magic
        framed.reserveCapacity(headerSize + payload.count)
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { framed.append(contentsOf: $0) }
        framed.append(contentsOf: repeatElement(0, count: 8))
        framed.append(contentsOf: SHA256.hash(data: payload).prefix(8))
        framed.append(contentsOf: payload)
        return framed
    }

    /// Sets the segment number of every framed record in `bytes` (records as ``encode(_:of:)``
    /// made them, back to back).
    static func stamp(_ bytes: inout [UInt8], segment: Int) {
        withUnsafeBytes(of: UInt64(segment).littleEndian) { number in
            bytes.withUnsafeMutableBytes { buffer in
                var offset = 0
                while offset + headerSize <= buffer.count {
                    let length = (0..<4).reduce(0) { $0 | Int(buffer[offset + 4 + $1]) << (8 * $1) }
                    UnsafeMutableRawBufferPointer(rebasing: buffer[(offset + numberOffset)..<(offset + numberOffset + 8)]).copyMemory(from: number)
                    offset += headerSize + length
                }
            }
        }
    }

    /// The end mark of segment `segment`: `"CCJE"`, four zero bytes, the number, and the first 8
    /// bytes of the number's SHA-256.
    static func endMark(segment: Int) -> [UInt8] {
        let number = withUnsafeBytes(of: UInt64(segment).littleEndian) { Array($0) }
        return endMagic + [0, 0, 0, 0] + number + SHA256.hash(data: number).prefix(8)
    }

    /// The records of segment `segment`'s bytes, in order, and whether they end cleanly — at the
    /// segment's end mark, at the end of the bytes, or at a tail of zeros (the part of a segment
    /// written out ahead and not used yet). `complete` is false when the records stop at
    /// anything else: a record cut short or damaged, or bytes of the file's earlier use that a
    /// write cut short did not cover. It is left out with everything after it.
    static func decode(_ bytes: Data, segment: Int) throws -> (records: [JournalRecord], complete: Bool) {
        var records: [JournalRecord] = []
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let header = bytes[offset..<min(offset + headerSize, bytes.endIndex)]
            let magic = header.prefix(4)
            if header.count == headerSize, magic.elementsEqual(endMagic) {
                return (records, header.elementsEqual(endMark(segment: segment)))
            }
            let numbered = magic.elementsEqual(Self.magic)
            guard numbered || magic.elementsEqual(unnumberedMagic), header.count >= (numbered ? headerSize : unnumberedHeaderSize) else {
                return (records, bytes[offset...].withUnsafeBytes { tail in tail.allSatisfy { $0 == 0 } })
            }
            let length = bytes[offset + 4..<offset + 8].reversed().reduce(0) { $0 << 8 | Int($1) }
            if numbered, bytes[offset + numberOffset..<offset + numberOffset + 8].reversed().reduce(0, { $0 << 8 | Int($1) }) != segment {
                return (records, false)
            }
            let hash = numbered ? offset + 16 : offset + 8
            let start = offset + (numbered ? headerSize : unnumberedHeaderSize)
            guard bytes.endIndex - start >= length else { return (records, false) }
            let payload = bytes[start..<start + length]
            guard SHA256.hash(data: payload).prefix(8).elementsEqual(bytes[hash..<hash + 8]) else { return (records, false) }
            let parts = payload.split(separator: 0x0A, omittingEmptySubsequences: false)
            let identity = try StoreIdentity(recorded: String(decoding: parts[0], as: UTF8.self))
            records.append(JournalRecord(identity: identity, lines: parts.dropFirst().map { Data($0) }))
            offset = start + length
        }
        return (records, true)
    }
}
