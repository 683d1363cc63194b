import ArgumentParser
import EventStore
import Foundation
import Gateway
import Logging

/// `--data DIR`, shared by every command that works on a data directory.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data directory (holds platform.sqlite and tenants/).", valueName: "dir"))
    var data: String = "data"

    var directory: DataDirectory { DataDirectory(path: data) }

    /// Gives the stores the commits that the journal of a server which did not shut down
    /// cleanly still holds, before a command works on them. Nothing to do after a clean
    /// shutdown, or while a server runs on the directory (it owns the journal).
    func recoverJournal() async throws {
        guard CommitJournal.needsRecovery(in: directory.journal) else { return }
        printError("the server did not shut down cleanly: restoring the stores from its commit journal first")
        var logger = Logger(label: "clawcloud")
        logger.logLevel = .warning
        let stores = try await Stores.open(directory, logger: logger)
        await stores.close()
    }

    /// The store files a command works on: `tenant`'s (which must exist), or the platform
    /// store (when present) and every tenant store.
    func storeFiles(tenant: TenantID?) throws -> [URL] {
        if let tenant {
            let file = directory.file(for: .tenant(tenant))
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw ValidationError("no store for tenant \(tenant) in \(directory.root.path)")
            }
            return [file]
        }
        var files = try directory.tenantFiles()
        if FileManager.default.fileExists(atPath: directory.platformFile.path) { files.insert(directory.platformFile, at: 0) }
        return files
    }
}

extension TenantID: ExpressibleByArgument {
    public init?(argument: String) {
        try? self.init(argument)
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
