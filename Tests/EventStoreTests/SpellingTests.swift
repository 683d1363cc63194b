@testable import EventStore
import Foundation
import Testing

@Suite("Stored spellings")
struct SpellingTests {
    @Test("an id is stored as Foundation spells it, in lowercase, and parses back")
    func idSpelling() {
        for id in (0..<1_000).map({ _ in UUID() }) + [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))] {
            #expect(id.storedSpelling == id.uuidString.lowercased())
            #expect(UUID(storedSpelling: id.storedSpelling) == id)
        }
    }

    @Test("an export line escapes what JSON needs escaped, and only that")
    func lineEscapes() throws {
        let event = RecordedEvent(
            position: 7, stream: "thread-\"quoted\"\\\n", streamVersion: 3, id: UUID(), type: "message.added", schemaVersion: 2,
            data: Data(#"{"text":"é"}"#.utf8), metadata: Data("{}".utf8), recordedAt: 1_764_050_000_000,
            hash: EventDigest(bytes: Data(repeating: 0xAB, count: 32)) ?? .zero)
        let line = EventLine.encode(event)
        let object = try #require(JSONSerialization.jsonObject(with: line) as? [String: Any])
        #expect(object["stream"] as? String == event.stream)
        #expect(object["event_id"] as? String == event.id.uuidString.lowercased())
        #expect(object["hash"] as? String == String(repeating: "ab", count: 32))
        #expect(String(decoding: line, as: UTF8.self).contains(#""stream":"thread-\"quoted\"\\\u000a","#))
        let decoded = try EventLine.decode(line)
        #expect(decoded.position == 7 && decoded.streamVersion == 3 && decoded.schemaVersion == 2 && decoded.recordedAt == 1_764_050_000_000)
    }
}
