@testable import EventStore
import Foundation
import Testing

@Suite("Generated UUIDs")
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

    @Test("UUID.timeOrdered() makes version 7 ids in the order they are made, as the log stores them")
    func timeOrdered() {
        let before = UInt64(Date().timeIntervalSince1970 * 1_000)
        let ids = (0..<10_000).map { _ in UUID.timeOrdered() }
        let after = UInt64(Date().timeIntervalSince1970 * 1_000)
        #expect(Set(ids).count == ids.count)
        // The stored spelling (the `event_id` index's key) sorts as the ids were made.
        let spellings = ids.map(\.storedSpelling)
        #expect(spellings == spellings.sorted())
        for id in ids.prefix(100) {
            let text = id.uuidString
            #expect(Array(text)[14] == "7")
            #expect("89AB".contains(Array(text)[19]))
            // The first 48 bits are the Unix time in milliseconds.
            let millis = UInt64(text.replacingOccurrences(of: "-", with: "").prefix(12), radix: 16)!
            #expect(millis >= before && millis <= after + 1)
        }
    }

    @Test("time-ordered ids never go back: a clock that steps back, or 4,096 ids in one millisecond, move on from the last")
    func monotonic() {
        let clock = TimeOrderedClock()
        #expect(clock.next(at: 1_000) == (1_000, 0))
        #expect(clock.next(at: 1_000) == (1_000, 1))
        #expect(clock.next(at: 990) == (1_000, 2))
        #expect(clock.next(at: 1_005) == (1_005, 0))
        for sequence in 1...4_095 { #expect(clock.next(at: 1_005) == (1_005, UInt16(sequence))) }
        #expect(clock.next(at: 1_005) == (1_006, 0))
        let ids = [(1_005, 4_095), (1_006, 0), (1_006, 1)].map { UUID.timeOrdered((UInt64($0.0), UInt16($0.1))) }
        #expect(ids.map(\.storedSpelling) == ids.map(\.storedSpelling).sorted())
    }
}
