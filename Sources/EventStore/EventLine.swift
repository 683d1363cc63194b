import Foundation

/// The JSONL export format: one event per line, members in a fixed order, `data` and `metadata`
/// embedded verbatim as JSON, `hash` as lowercase hex.
///
/// ```json
/// {"position":1,"stream":"thread-1","stream_version":1,"event_id":"…","type":"thread.created","schema_version":1,"recorded_at":1764050000000,"data":{"title":"Hi"},"metadata":{},"hash":"9f…"}
/// ```
///
/// Importing an export reproduces every row byte for byte, hashes included. A hand-written line
/// may leave out `hash` (import computes it); when present it must match.
public enum EventLine {
    /// One line (without the trailing newline).
    public static func encode(_ event: RecordedEvent) -> Data {
        var line: [UInt8] = []
        encode(event, into: &line)
        return Data(line)
    }

    /// Appends one line (without the trailing newline) to `line`, writing numbers, the id and
    /// the hash straight as bytes (the commit journal encodes every event this way).
    static func encode(_ event: RecordedEvent, into line: inout [UInt8]) {
        line.reserveCapacity(line.count + event.data.count + event.metadata.count + 256)
        line.append(contentsOf: #"{"position":"#.utf8)
        line.append(contentsOf: String(event.position).utf8)
        line.append(contentsOf: #","stream":"#.utf8)
        appendJSONString(event.stream, to: &line)
        line.append(contentsOf: #","stream_version":"#.utf8)
        line.append(contentsOf: String(event.streamVersion).utf8)
        line.append(contentsOf: #","event_id":""#.utf8)
        event.id.appendStoredSpelling(to: &line)
        line.append(contentsOf: #"","type":"#.utf8)
        appendJSONString(event.type, to: &line)
        line.append(contentsOf: #","schema_version":"#.utf8)
        line.append(contentsOf: String(event.schemaVersion).utf8)
        line.append(contentsOf: #","recorded_at":"#.utf8)
        line.append(contentsOf: String(event.recordedAt).utf8)
        line.append(contentsOf: #","data":"#.utf8)
        line.append(contentsOf: event.data)
        line.append(contentsOf: #","metadata":"#.utf8)
        line.append(contentsOf: event.metadata)
        line.append(contentsOf: #","hash":""#.utf8)
        event.hash.withUnsafeBytes { Hex.append($0, to: &line) }
        line.append(contentsOf: #""}"#.utf8)
    }

    /// An event read from a line: every column, and the hash when the line carries one.
    public struct Decoded: Sendable {
        public var position: Int64
        public var stream: String
        public var streamVersion: Int64
        public var id: UUID
        public var type: String
        public var schemaVersion: Int
        public var recordedAt: Int64
        public var data: Data
        public var metadata: Data
        public var hash: EventDigest?
    }

    private struct Scalars: Decodable {
        var position: Int64
        var stream: String
        var stream_version: Int64
        var event_id: String
        var type: String
        var schema_version: Int
        var recorded_at: Int64
        var hash: String?
    }

    /// Parses and checks one line.
    public static func decode(_ line: Data) throws -> Decoded {
        let scalars: Scalars
        do {
            scalars = try JSONDecoder().decode(Scalars.self, from: line)
        } catch let DecodingError.keyNotFound(key, _) {
            throw RawJSONError("missing member \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, context) {
            throw RawJSONError("member \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type")
        } catch {
            throw RawJSONError("not a JSON object")
        }
        let members = try RawJSONObject(line).members
        guard let data = members["data"], let metadata = members["metadata"] else {
            throw RawJSONError("missing member \"data\" or \"metadata\"")
        }
        for (name, bytes) in [("data", data), ("metadata", metadata)] {
            guard (try? JSONSerialization.jsonObject(with: bytes, options: .fragmentsAllowed)) != nil else {
                throw RawJSONError("member \"\(name)\" is not valid JSON")
            }
        }
        guard let id = UUID(uuidString: scalars.event_id), id.storedSpelling == scalars.event_id else {
            throw RawJSONError("event_id must be a lowercase UUID")
        }
        var hash: EventDigest?
        if let hex = scalars.hash {
            guard let digest = EventDigest(hex: hex) else { throw RawJSONError("hash must be 64 hex digits") }
            hash = digest
        }
        return Decoded(
            position: scalars.position, stream: scalars.stream, streamVersion: scalars.stream_version, id: id,
            type: scalars.type, schemaVersion: scalars.schema_version, recordedAt: scalars.recorded_at,
            data: data, metadata: metadata, hash: hash)
    }

    private static func appendJSONString(_ string: String, to line: inout [UInt8]) {
        line.append(UInt8(ascii: "\""))
        let utf8 = string.utf8
        if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            line.append(contentsOf: utf8)
        } else {
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): line.append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\\"): line.append(contentsOf: #"\\"#.utf8)
                case 0x00..<0x20: line.append(contentsOf: String(format: "\\u%04x", byte).utf8)
                default: line.append(byte)
                }
            }
        }
        line.append(UInt8(ascii: "\""))
    }
}
