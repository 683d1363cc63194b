/// Opens tenant stores on first use and keeps at most `capacity` of them open, closing the least
/// recently used idle ones.
///
/// A store is in use while a ``withStore(_:_:)`` call holds it (a request, or a stream for its
/// whole life); such a store is never closed under its user. When every open store is in use
/// the registry goes over its capacity rather than fail, and shrinks back as they are released.
/// Concurrent first uses of one tenant share a single open.
public actor TenantRegistry {
    private struct Entry {
        let opening: Task<EventStore, any Error>
        var leases = 0
        var lastUse: UInt64
    }

    /// The data directory the stores live in.
    public nonisolated let directory: DataDirectory
    /// How many stores may stay open while idle.
    public nonisolated let capacity: Int
    private let open: @Sendable (TenantID) async throws -> EventStore
    private var entries: [TenantID: Entry] = [:]
    private var tick: UInt64 = 0
    private var closed = false
    /// False once a store evicted to make room failed to close cleanly.
    private var evictionsClean = true

    public init(directory: DataDirectory, capacity: Int = 256, configuration: EventStore.Configuration = .init()) {
        self.init(directory: directory, capacity: capacity) { tenant in
            try EventStore.open(.tenant(tenant), in: directory, configuration: configuration)
        }
    }

    /// A registry whose stores are opened by `open` (to give each its own append hook, say, and
    /// prepare it before first use). `open` must open the store of `.tenant(tenant)` in `directory`.
    public init(directory: DataDirectory, capacity: Int = 256, open: @escaping @Sendable (TenantID) async throws -> EventStore) {
        precondition(capacity >= 1, "a registry must be able to hold one store")
        self.directory = directory
        self.capacity = capacity
        self.open = open
    }

    /// Runs `body` with the tenant's store, opening (and creating) it when needed.
    @discardableResult
    public nonisolated func withStore<Result>(
        _ tenant: TenantID, _ body: (EventStore) async throws -> Result
    ) async throws -> Result {
        let store = try await acquire(tenant)
        do {
            let result = try await body(store)
            await release(tenant)
            return result
        } catch {
            await release(tenant)
            throw error
        }
    }

    /// The number of stores currently open (or opening).
    public var openCount: Int { entries.count }

    /// Whether the tenant's store is open right now.
    public func isOpen(_ tenant: TenantID) -> Bool { entries[tenant] != nil }

    /// Closes every store; later uses throw ``EventStoreError/closed``.
    /// - Returns: whether every store closed cleanly (its log checkpointed into its file).
    @discardableResult
    public func closeAll() async -> Bool {
        closed = true
        let opened = entries.values.map(\.opening)
        entries = [:]
        var clean = true
        for opening in opened {
            do {
                try await opening.value.close()
            } catch {
                clean = false
            }
        }
        return clean && evictionsClean
    }

    private func acquire(_ tenant: TenantID) async throws -> EventStore {
        guard !closed else { throw EventStoreError.closed }
        tick += 1
        let opening: Task<EventStore, any Error>
        if var entry = entries[tenant] {
            entry.leases += 1
            entry.lastUse = tick
            entries[tenant] = entry
            opening = entry.opening
        } else {
            let open = open
            opening = Task { try await open(tenant) }
            entries[tenant] = Entry(opening: opening, leases: 1, lastUse: tick)
            await evictIdle()
        }
        do {
            return try await opening.value
        } catch {
            if entries[tenant]?.opening == opening { entries[tenant] = nil }
            throw error
        }
    }

    private func release(_ tenant: TenantID) async {
        entries[tenant]?.leases -= 1
        await evictIdle()
    }

    /// Closes least recently used idle stores until the registry is within its capacity.
    private func evictIdle() async {
        while entries.count > capacity {
            guard let (tenant, entry) = entries.filter({ $0.value.leases == 0 }).min(by: { $0.value.lastUse < $1.value.lastUse })
            else { return }
            entries[tenant] = nil
            do {
                try await entry.opening.value.close()
            } catch {
                evictionsClean = false
            }
        }
    }
}
