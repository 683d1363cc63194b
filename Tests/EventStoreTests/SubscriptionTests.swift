import EventStore
import Foundation
import Testing

@Suite("Subscriptions")
struct SubscriptionTests {
    @Test("appends racing the switch from catch-up to live arrive exactly once, in order")
    func catchUpToLive() async throws {
        var configuration = EventStore.Configuration()
        configuration.readBatchSize = 7 // many catch-up batches, so the switch happens mid-stream
        try await withScratchStore(configuration: configuration) { store, _ in
            for index in 0..<100 { try await store.append([event("before-\(index)")], to: "s-\(index % 3)") }
            let total = 1_100
            async let received: [Int64] = {
                var positions: [Int64] = []
                for try await event in store.subscribe(from: 0) {
                    positions.append(event.position)
                    if positions.count == total { break }
                }
                return positions
            }()
            // Concurrent writers keep appending while the subscriber catches up and switches over.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        for index in 0..<250 { try await store.append([event("live-\(writer)-\(index)")], to: "w-\(writer)") }
                    }
                }
                try await group.waitForAll()
            }
            let positions = try await received
            #expect(positions == Array(1...Int64(total)))
        }
    }

    @Test("subscribing from a position delivers only later events")
    func fromPosition() async throws {
        try await withScratchStore { store, _ in
            for index in 0..<10 { try await store.append([event("e\(index)")], to: "s") }
            var iterator = store.subscribe(from: 7).makeAsyncIterator()
            #expect(try await iterator.next()?.position == 8)
            #expect(try await iterator.next()?.position == 9)
            #expect(try await iterator.next()?.position == 10)
            try await store.append([event("live")], to: "s")
            #expect(try await iterator.next()?.position == 11)
        }
    }

    @Test("a subscriber that stops reading is ended with a reason, and resumes from its last position")
    func slowSubscriber() async throws {
        var configuration = EventStore.Configuration()
        configuration.subscriberBufferCapacity = 16
        try await withScratchStore(configuration: configuration) { store, _ in
            try await store.append([event("first")], to: "s")
            var iterator = store.subscribe(from: 0).makeAsyncIterator()
            let first = try await iterator.next()
            #expect(first?.position == 1)
            #expect(store.subscriberCount == 1) // registered for live events once caught up
            // Now live: the subscriber stops reading while 100 events are appended.
            for index in 0..<100 { try await store.append([event("burst-\(index)")], to: "s") }
            var received: [Int64] = [first!.position]
            var ended: SubscriptionEnded?
            do {
                while let event = try await iterator.next() { received.append(event.position) }
            } catch let error as SubscriptionEnded {
                ended = error
            }
            let reason = try #require(ended)
            #expect(reason.reason == .tooSlow(capacity: 16))
            #expect(reason.lastPosition == received.last)
            #expect(store.subscriberCount == 0)
            // Resuming from the last position delivers the rest, nothing lost or repeated.
            var resumed = store.subscribe(from: reason.lastPosition).makeAsyncIterator()
            while received.count < 101, let event = try await resumed.next() { received.append(event.position) }
            #expect(received == Array(1...101))
        }
    }

    @Test("cancelling the consumer ends the subscription and unregisters it")
    func cancellation() async throws {
        try await withScratchStore { store, _ in
            try await store.append([event("a")], to: "s")
            let consumer = Task {
                var count = 0
                for try await _ in store.subscribe(from: 0) { count += 1 }
                return count
            }
            while store.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
            consumer.cancel()
            await #expect(throws: CancellationError.self) { try await consumer.value }
            #expect(store.subscriberCount == 0)
        }
    }

    @Test("closing the store ends live subscribers with a reason")
    func storeClosed() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let store = try EventStore.open(.tenant(TenantID("user_close")), in: scratch.data)
        try await store.append([event("a")], to: "s")
        var iterator = store.subscribe(from: 1).makeAsyncIterator()
        async let next = iterator.next()
        while store.subscriberCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
        try await store.close()
        do {
            _ = try await next
            Issue.record("a live subscriber should end when the store closes")
        } catch let ended as SubscriptionEnded {
            #expect(ended == SubscriptionEnded(reason: .storeClosed, lastPosition: 1))
        }
        await #expect(throws: EventStoreError.closed) { try await store.append([event("b")], to: "s") }
    }
}
