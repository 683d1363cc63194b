import EventStore
import Foundation
import Testing

@Suite("Tenant isolation")
struct TenantIsolationTests {
    /// A hostile id with a short name, so a 10 kB id does not flood the test report.
    struct Hostile: CustomTestStringConvertible, Sendable {
        let name: String
        let id: String
        var testDescription: String { name }
    }

    static let hostile: [Hostile] = [
        .init(name: "parent path", id: "../x"), .init(name: "slash", id: "a/b"), .init(name: "empty", id: ""),
        .init(name: "10 kB", id: String(repeating: "a", count: 10_000)), .init(name: "NUL", id: "user\u{0}admin"),
        .init(name: "absolute path", id: "/etc/passwd"), .init(name: "newline", id: "user_1\n"),
        .init(name: "fullwidth look-alike", id: "ｕｓｅｒ_1"), .init(name: "cyrillic a", id: "user_\u{0430}"),
        .init(name: "precomposed accent", id: "caf\u{00E9}"), .init(name: "combining accent", id: "cafe\u{0301}"),
        .init(name: "space", id: "a b"), .init(name: "backslash", id: "x\\y"), .init(name: "percent-encoded", id: "%2e%2e"),
        .init(name: "129 characters", id: String(repeating: "a", count: 129)),
    ]

    @Test("hostile ids are refused before they reach a path", arguments: hostile)
    func hostileIdsRefused(_ hostile: Hostile) throws {
        #expect(!TenantID.isValid(hostile.id))
        #expect(throws: EventStoreError.self) { try TenantID(hostile.id) }
    }

    @Test("accepted ids always map inside <data>/tenants, and different ids never share a file")
    func pathsStayInside() throws {
        let directory = DataDirectory(path: "/srv/data")
        // Dots are plain characters here: the file name is a hash, so even ".." stays inside.
        let ids = ["user_01HXYZ", "agent:bot-1", "a", ".", "..", "..x", "...", "A", String(repeating: "z", count: 128), "User_1", "user_1."]
            + (0..<500).map { "user_\($0)" }
        var files = Set<String>()
        for raw in ids {
            let id = try TenantID(raw)
            let file = directory.file(for: .tenant(id))
            #expect(file.deletingLastPathComponent().path == directory.tenantsDirectory.path)
            #expect(file.standardizedFileURL.path.hasPrefix(directory.tenantsDirectory.path + "/"))
            #expect(!file.lastPathComponent.contains(raw) || raw.count < 3)
            files.insert(file.path)
        }
        #expect(files.count == ids.count)
        #expect(directory.file(for: .platform) != directory.file(for: .tenant(try TenantID("platform"))))
    }

    @Test("a store file refuses to open for another tenant")
    func fileRecordsItsTenant() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let alice = try TenantID("user_alice")
        let bob = try TenantID("user_bob")
        let store = try EventStore.open(.tenant(alice), in: scratch.data)
        try await store.append([event("alice's secret")], to: "s")
        try await store.close()
        // Someone copies Alice's file over Bob's.
        try FileManager.default.copyItem(at: scratch.data.file(for: .tenant(alice)), to: scratch.data.file(for: .tenant(bob)))
        #expect(throws: EventStoreError.identityMismatch(expected: "tenant:user_bob", found: "tenant:user_alice")) {
            try EventStore.open(.tenant(bob), in: scratch.data)
        }
        #expect(throws: EventStoreError.self) {
            try EventStore.open(existing: scratch.data.file(for: .tenant(bob)), in: scratch.data)
        }
        #expect(throws: EventStoreError.storeNotFound("tenant:user_carol")) {
            try EventStore.open(.tenant(try TenantID("user_carol")), in: scratch.data, create: false)
        }
    }

    @Test("two tenants' stores are separate files with separate logs")
    func separateLogs() async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let registry = TenantRegistry(directory: scratch.data)
        try await registry.withStore(try TenantID("user_a")) { try await $0.append([event("a")], to: "s") }
        let bHead = try await registry.withStore(try TenantID("user_b")) { store in
            try await store.read(after: 0, limit: 10).count
        }
        #expect(bHead == 0)
        #expect(try scratch.data.tenantFiles().count == 2)
        await registry.closeAll()
    }
}
