import EventStore
import Foundation
import Testing

@Suite("Idempotent retries")
struct IdempotencyTests {
    @Test("the same ids again return the original result and write nothing")
    func sameIdsTwice() async throws {
        try await withScratchStore { store, _ in
            let events = [event("a"), event("b")]
            let first = try await store.append(events, to: "thread-1", expecting: .noStream)
            try await store.append([event("other")], to: "thread-2")
            // The retry's condition no longer holds (the stream moved on): it is still a retry.
            let retry = try await store.append(events, to: "thread-1", expecting: .noStream)
            #expect(retry.isRetry)
            #expect(!first.isRetry)
            #expect(retry.events == first.events)
            #expect(store.head == 3)
            // With a condition that holds, too.
            let again = try await store.append(events, to: "thread-1", expecting: .exact(2))
            #expect(again.events == first.events)
            #expect(store.head == 3)
        }
    }

    @Test("the same ids with other content are an error and write nothing")
    func sameIdsOtherContent() async throws {
        try await withScratchStore { store, _ in
            let id = UUID()
            try await store.append([event("original", id: id)], to: "credits")
            await #expect(throws: EventStoreError.idempotencyMismatch(eventID: id.uuidString.lowercased())) {
                try await store.append([event("changed", id: id)], to: "credits")
            }
            await #expect(throws: EventStoreError.idempotencyMismatch(eventID: id.uuidString.lowercased())) {
                try await store.append([event("original", id: id)], to: "another-stream")
            }
            // Some ids known, some new: not a retry, and nothing is written.
            await #expect(throws: EventStoreError.self) {
                try await store.append([event("original", id: id), event("new")], to: "credits")
            }
            #expect(store.head == 1)
        }
    }

    @Test("concurrent retries of one append store it once and all get the same result")
    func concurrentRetries() async throws {
        try await withScratchStore { store, _ in
            let events = [event("charge"), event("charge-2")]
            let results = try await withThrowingTaskGroup(of: AppendResult.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await store.append(events, to: "credits") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.map(\.events)).count == 1)
            #expect(results.filter { !$0.isRetry }.count == 1)
            #expect(store.head == 2)
        }
    }
}
