import EventStore
import Foundation
import Testing

@Suite("Tenant registry")
struct RegistryTests {
    @Test("stores open lazily and at most `capacity` idle stores stay open (least recently used go first)")
    func lruCap() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let registry = TenantRegistry(directory: scratch.data, capacity: 3)
        #expect(await registry.openCount == 0)
        for index in 0..<8 {
            try await registry.withStore(try TenantID("user_\(index)")) { try await $0.append([event("e")], to: "s") }
            #expect(await registry.openCount <= 3)
        }
        #expect(await registry.isOpen(try TenantID("user_7")))
        #expect(await !registry.isOpen(try TenantID("user_0")))
        // Reopening an evicted tenant finds its data.
        let head = try await registry.withStore(try TenantID("user_0")) { $0.head }
        #expect(head == 1)
        await registry.closeAll()
    }

    @Test("a store in use is never closed by eviction")
    func inUseNotEvicted() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let registry = TenantRegistry(directory: scratch.data, capacity: 1)
        let held = try TenantID("user_held")
        try await registry.withStore(held) { store in
            for index in 0..<4 {
                try await registry.withStore(try TenantID("user_other_\(index)")) { try await $0.append([event("x")], to: "s") }
            }
            // Still usable: it was not closed under us.
            try await store.append([event("still open")], to: "s")
            #expect(await registry.isOpen(held))
        }
        #expect(await registry.openCount == 1)
        await registry.closeAll()
    }

    @Test("concurrent first uses of a tenant share one store")
    func concurrentOpen() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let registry = TenantRegistry(directory: scratch.data, capacity: 4)
        let tenant = try TenantID("user_busy")
        let identities = try await withThrowingTaskGroup(of: ObjectIdentifier.self) { group in
            for index in 0..<32 {
                group.addTask {
                    try await registry.withStore(tenant) { store in
                        try await store.append([event("e\(index)")], to: "s")
                        return ObjectIdentifier(store)
                    }
                }
            }
            return try await group.reduce(into: Set<ObjectIdentifier>()) { $0.insert($1) }
        }
        #expect(identities.count == 1)
        let head = try await registry.withStore(tenant) { $0.head }
        #expect(head == 32)
        await registry.closeAll()
        await #expect(throws: EventStoreError.closed) { try await registry.withStore(tenant) { $0.head } }
    }

    @Test("many tenants used concurrently under a small cap stay correct")
    func churn() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let registry = TenantRegistry(directory: scratch.data, capacity: 4)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    for round in 0..<10 {
                        let tenant = try TenantID("user_\((worker + round) % 12)")
                        try await registry.withStore(tenant) { try await $0.append([event("w\(worker)r\(round)")], to: "s") }
                    }
                }
            }
            try await group.waitForAll()
        }
        var total: Int64 = 0
        for index in 0..<12 {
            let head = try await registry.withStore(try TenantID("user_\(index)")) { (store: EventStore) async throws -> Int64 in
                #expect(try await store.verify().isIntact)
                return store.head
            }
            total += head
        }
        #expect(total == 160)
        await registry.closeAll()
    }
}
