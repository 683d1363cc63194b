import ArgumentParser
import EventStore
import Foundation

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a tenant's event log to standard output as JSONL, one event per line.",
        discussion: """
            The format keeps every column (position, stream, stream_version, event_id, type, \
            schema_version, recorded_at, data, metadata, hash); `clawcloud import` of the output \
            reproduces the rows byte for byte. Example: clawcloud export --data data --tenant user_1 > user_1.jsonl
            """
    )

    @OptionGroup var options: DataOptions

    @Option(help: "The tenant whose log to export.")
    var tenant: TenantID

    func run() async throws {
        try await options.recoverJournal()
        let store = try EventStore.open(.tenant(tenant), in: options.directory, create: false)
        let progress = ProgressReporter("export", total: store.head)
        var written: Int64 = 0
        var buffer = Data()
        try await store.exportJSONL { line in
            buffer.append(line)
            written += 1
            if buffer.count >= 1 << 20 {
                FileHandle.standardOutput.write(buffer)
                buffer.removeAll(keepingCapacity: true)
                progress.update(written)
            }
        }
        FileHandle.standardOutput.write(buffer)
        progress.update(written)
        progress.finish()
        try await store.close()
    }
}
