import ArgumentParser
import EventStore
import Foundation
import Projections

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load a JSONL export into a tenant's store.",
        discussion: """
            The file must continue the tenant's log (normally: an empty store and a file starting at \
            position 1). Every line is checked — gapless positions, consecutive stream versions, valid \
            JSON, the hash chain — and the file is written in one transaction: on any error nothing is \
            written and the offending line is named. Example: clawcloud import --data data --tenant user_1 user_1.jsonl
            """
    )

    @OptionGroup var options: DataOptions

    @Option(help: "The tenant to import into (its store is created when missing).")
    var tenant: TenantID

    @Argument(help: "The JSONL file to import.")
    var file: String

    func run() async throws {
        let url = URL(fileURLWithPath: file)
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw ValidationError("cannot read \(file)")
        }
        try await options.recoverJournal()
        // Projections apply to the imported events as they would to appends.
        var configuration = EventStore.Configuration()
        configuration.hook = Projector.tenant()
        let store = try EventStore.open(.tenant(tenant), in: options.directory, configuration: configuration)
        let progress = ProgressReporter("import")
        do {
            let summary = try await store.importJSONL(from: url) { progress.update($0) }
            progress.finish()
            print("imported \(summary.events) events into \(store.identity); head is now \(summary.head)")
            try await store.close()
        } catch {
            progress.finish()
            try? await store.close()
            printError("import failed, nothing was written: \(error)")
            throw ExitCode(1)
        }
    }
}
