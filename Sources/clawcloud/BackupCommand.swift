import ArgumentParser
import EventStore
import Foundation

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy every store of a data directory into a new directory, online.",
        discussion: """
            Uses SQLite's online backup API: the stores may be serving while it runs, and each copy is \
            a consistent snapshot. The output has the same layout as a data directory (platform.sqlite, \
            tenants/), so `clawcloud verify --data OUT` checks it and a server can start on it. \
            The output directory must not exist yet or be empty.
            """
    )

    @OptionGroup var options: DataOptions

    @Option(help: ArgumentHelp("Where to write the copy.", valueName: "dir"))
    var out: String

    func run() async throws {
        try await options.recoverJournal()
        let source = options.directory
        let target = DataDirectory(path: out)
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: target.root.path), !existing.isEmpty {
            throw ValidationError("\(out) is not empty: a backup never overwrites")
        }
        var files = try source.tenantFiles()
        if FileManager.default.fileExists(atPath: source.platformFile.path) { files.insert(source.platformFile, at: 0) }
        let progress = ProgressReporter("backup", unit: "stores", total: Int64(files.count))
        for (index, file) in files.enumerated() {
            let store = try EventStore.open(existing: file, in: source)
            try await store.backup(to: target.file(for: store.identity))
            try await store.close()
            progress.update(Int64(index + 1))
        }
        progress.finish()
        print("backed up \(files.count) stores to \(target.root.path)")
    }
}
