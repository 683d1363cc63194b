import Foundation

/// The on-disk layout of a ClawCloud data directory:
///
/// ```
/// <data>/platform.sqlite              the platform store
/// <data>/tenants/<sha256>.sqlite      one store per tenant, named by TenantID.fileStem
/// <data>/journal/journal-<n>.log       the server's commit journal (see CommitJournal)
/// ```
public struct DataDirectory: Sendable, Hashable {
    /// The root (`--data`).
    public let root: URL

    public init(_ root: URL) {
        self.root = root.standardizedFileURL
    }

    public init(path: String) {
        self.init(URL(fileURLWithPath: path, isDirectory: true))
    }

    /// `<data>/tenants`.
    public var tenantsDirectory: URL { root.appendingPathComponent("tenants", isDirectory: true) }

    /// `<data>/journal`: the server's ``CommitJournal``.
    public var journal: URL { root.appendingPathComponent("journal", isDirectory: true) }

    /// `<data>/platform.sqlite`.
    public var platformFile: URL { root.appendingPathComponent("platform.sqlite") }

    /// The store file of `identity`. A tenant's file is always directly inside ``tenantsDirectory``.
    public func file(for identity: StoreIdentity) -> URL {
        switch identity {
        case .platform: platformFile
        case .tenant(let id): tenantsDirectory.appendingPathComponent(id.fileStem + ".sqlite")
        }
    }

    /// Creates the root and `tenants/` when missing.
    public func create() throws {
        try FileManager.default.createDirectory(at: tenantsDirectory, withIntermediateDirectories: true)
    }

    /// The tenant store files present on disk, sorted by name (identities are read from the files).
    public func tenantFiles() throws -> [URL] {
        guard FileManager.default.fileExists(atPath: tenantsDirectory.path) else { return [] }
        return try FileManager.default
            .contentsOfDirectory(at: tenantsDirectory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sqlite" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
