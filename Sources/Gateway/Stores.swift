import EventStore
import Foundation
import Logging
import Projections

/// The event stores the server works with: the platform store (waitlist, access), open for the
/// server's life, and each tenant's store, opened on first use by a ``TenantRegistry`` with its
/// own ``Projector`` as append hook; projections a store lacks or whose version changed are
/// rebuilt when it opens.
public final class Stores: Sendable {
    public let directory: DataDirectory
    public let platform: EventStore
    let registry: TenantRegistry

    private init(directory: DataDirectory, platform: EventStore, registry: TenantRegistry) {
        self.directory = directory
        self.platform = platform
        self.registry = registry
    }

    /// Opens the platform store (creating the directory when needed) and prepares its projections.
    public static func open(_ directory: DataDirectory, capacity: Int = 256, logger: Logger) async throws -> Stores {
        let platform = try await openPrepared(.platform, in: directory, projector: .platform(), logger: logger)
        let registry = TenantRegistry(directory: directory, capacity: capacity) { tenant in
            try await openPrepared(.tenant(tenant), in: directory, projector: .tenant(), logger: logger)
        }
        return Stores(directory: directory, platform: platform, registry: registry)
    }

    /// Every store's writer runs on this queue (see ``EventStore/Configuration/writerTargetQueue``).
    private static let writers = DispatchQueue(label: "clawcloud.writers", qos: .userInitiated, attributes: .concurrent)

    private static func openPrepared(_ identity: StoreIdentity, in directory: DataDirectory, projector: Projector, logger: Logger) async throws -> EventStore {
        var configuration = EventStore.Configuration()
        configuration.hook = projector
        // Request handlers run on the cooperative pool: appends must not block it on an fsync.
        configuration.writesOnCallerThread = false
        configuration.writerTargetQueue = writers
        let store = try EventStore.open(identity, in: directory, configuration: configuration)
        do {
            let built = try await projector.prepare(store)
            if identity != .platform {
                // Sealed values a crash left unreferenced (between a value and its event) go now.
                try await store.pool.write { db in
                    try SecretTable.create(db)
                    try SecretTable.prune(db, projector)
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

    /// Closes every store (after in-flight work on them ends).
    public func close() async {
        await registry.closeAll()
        try? await platform.close()
    }
}

extension EventStore {
    /// The projector the store was opened with (every store ``Stores`` opens has one).
    var projector: Projector {
        guard let projector = configuration.hook as? Projector else { preconditionFailure("store opened without a projector") }
        return projector
    }
}
