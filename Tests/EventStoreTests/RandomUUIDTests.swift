import EventStore
import Foundation
import Testing

@Suite("Random UUIDs")
struct RandomUUIDTests {
    @Test("UUID.random() makes version 4, RFC 4122 variant ids that do not repeat")
    func versionAndUniqueness() {
        let ids = (0..<10_000).map { _ in UUID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            let text = id.uuidString
            #expect(Array(text)[14] == "4")
            #expect("89AB".contains(Array(text)[19]))
        }
    }
}
