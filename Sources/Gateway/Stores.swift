import EventStore
import Foundation
import Logging
import Projections

/// The event stores the server works with: the platform store (waitlist, access), open for the
/// server's life, and each tenant's store, opened on first use by a ``TenantRegistry`` with its
/// own ``Projector`` as append hook; projections a store lacks or whose version changed are
/// rebuilt when it opens. All of them make their appends durable through one ``CommitJournal``
/// (`journal/` in the data directory): one disk flush for the appends of many tenants.
public final class Stores: Sendable {
    public let directory: DataDirectory
    public let platform: EventStore
    let registry: TenantRegistry
    /// The commit journal every store writes through (its statistics: flushes and records).
    public let journal: CommitJournal

    private init(directory: DataDirectory, platform: EventStore, registry: TenantRegistry, journal: CommitJournal) {
        self.directory = directory
        self.platform = platform
        self.registry = registry
        self.journal = journal
    }

    /// Opens the platform store (creating the directory when needed) and prepares its
    /// projections, then gives every store the commits of the journal it lacks (after a power
    /// cut) before anything else is written.
    public static func open(_ directory: DataDirectory, capacity: Int = 256, logger: Logger) async throws -> Stores {
        let journal = try CommitJournal(directory: directory.journal)
        let platform: EventStore
        do {
            platform = try await openPrepared(.platform, in: directory, projector: .platform(), journal: journal, logger: logger)
        } catch {
            journal.close(retiring: false)
            throw error
        }
        let registry = TenantRegistry(directory: directory, capacity: capacity) { tenant in
            try await openPrepared(.tenant(tenant), in: directory, projector: .tenant(), journal: journal, logger: logger)
        }
        let stores = Stores(directory: directory, platform: platform, registry: registry, journal: journal)
        do {
            let recovery = try await journal.recover { identity, lines in
                switch identity {
                case .platform: try await platform.restore(lines)
                case .tenant(let tenant): try await registry.withStore(tenant) { try await $0.restore(lines) }
                }
            }
            if recovery.restored > 0 {
                logger.warning("restored commits from the journal", metadata: [
                    "segments": "\(recovery.segments)", "records": "\(recovery.records)", "events": "\(recovery.restored)",
                ])
            }
        } catch {
            await stores.close()
            throw error
        }
        return stores
    }

    /// Every store's writer runs on this queue (see ``EventStore/Configuration/writerTargetQueue``).
    private static let writers = DispatchQueue(label: "clawcloud.writers", qos: .userInitiated, attributes: .concurrent)

    private static func openPrepared(
        _ identity: StoreIdentity, in directory: DataDirectory, projector: Projector, journal: CommitJournal, logger: Logger
    ) async throws -> EventStore {
        var configuration = EventStore.Configuration()
        configuration.hook = projector
        configuration.journal = journal
        // Request handlers run on the cooperative pool: appends must not block it on an fsync.
        configuration.writesOnCallerThread = false
        configuration.writerTargetQueue = writers
        let store = try EventStore.open(identity, in: directory, configuration: configuration)
        do {
            let built = try await projector.prepare(store)
            if identity != .platform {
                // Sealed values a crash left unreferenced (between a value and its event) go now.
                try await store.write { db in
                    try SecretTable.create(db)
                    try SecretTable.prune(db, projector)
                    try RetainedResponses.create(db)
                }
            }
            if !built.isEmpty {
                logger.info("projections built", metadata: [
                    "store": "\(identity)", "events": "\(store.head)", "projections": "\(built.joined(separator: ","))",
                ])
            }
            return store
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// Runs `body` with the tenant's store (opened, and created, on first use).
    public func withTenant<Result>(_ tenant: TenantID, _ body: (EventStore) async throws -> Result) async throws -> Result {
        try await registry.withStore(tenant, body)
    }

    /// Closes every store (after in-flight work on them ends); when all closed cleanly, the
    /// journal's segments go with them.
    public func close() async {
        var clean = await registry.closeAll()
        do {
            try await platform.close()
        } catch {
            clean = false
        }
        await journal.drain()
        journal.close(retiring: clean)
    }
}

extension EventStore {
    /// The projector the store was opened with (every store ``Stores`` opens has one).
    var projector: Projector {
        guard let projector = configuration.hook as? Projector else { preconditionFailure("store opened without a projector") }
        return projector
    }
}
