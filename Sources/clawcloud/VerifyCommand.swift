import ArgumentParser
import EventStore
import Foundation

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the hash chain of one tenant's store, or of every store in the data directory.",
        discussion: """
            Recomputes every event's SHA-256 chain hash from position 1 and checks that positions are \
            gapless and stream versions consecutive. Prints one line per store. Exits 1 and names the \
            first bad position when any store is broken (an event changed, removed or reordered).
            """
    )

    @OptionGroup var options: DataOptions

    @Option(help: "Verify only this tenant's store (default: the platform store and every tenant).")
    var tenant: TenantID?

    func run() async throws {
        try await options.recoverJournal()
        let directory = options.directory
        let files = try options.storeFiles(tenant: tenant)
        let progress = ProgressReporter("verify", unit: "stores", total: Int64(files.count))
        var broken = 0
        for (index, file) in files.enumerated() {
            let line: String
            do {
                let store = try EventStore.open(existing: file, in: directory)
                let report = try await store.verify()
                try await store.close()
                if report.isIntact {
                    line = "ok      \(store.identity)  \(report.eventsVerified) events"
                } else {
                    broken += 1
                    let at = report.firstBadPosition.map { "first bad position \($0): " } ?? ""
                    line = "BROKEN  \(store.identity)  \(at)\(report.problems.joined(separator: "; "))"
                }
            } catch {
                broken += 1
                line = "BROKEN  \(file.lastPathComponent)  \(error)"
            }
            print(line)
            progress.update(Int64(index + 1))
        }
        progress.finish()
        if broken > 0 { throw ExitCode(1) }
    }
}
