import ArgumentParser
import EventStore
import Foundation

/// `--data DIR`, shared by every command that works on a data directory.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data directory (holds platform.sqlite and tenants/).", valueName: "dir"))
    var data: String = "data"

    var directory: DataDirectory { DataDirectory(path: data) }

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
