import ArgumentParser
import EventStore
import Foundation

/// `--data DIR`, shared by every command that works on a data directory.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data directory (holds platform.sqlite and tenants/).", valueName: "dir"))
    var data: String = "data"

    var directory: DataDirectory { DataDirectory(path: data) }
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
