import ArgumentParser
import EventStore
import Foundation
import Projections

struct RebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild projections from the event log, for one tenant or all.",
        discussion: """
            Each projection is rebuilt into a new table generation from the whole log while the \
            current one keeps answering, then swapped in with one transaction. Use it after changing \
            a projection (the server also rebuilds outdated projections when it opens a store) or to \
            repair a view. Without --tenant, rebuilds the platform store and every tenant store. \
            Shows tenants done, events/s and time left. Run it while the server is stopped: one \
            process writes a data directory at a time.
            Example: clawcloud rebuild --data data --projection billing
            """
    )

    @OptionGroup var options: DataOptions

    @Option(help: "Rebuild only this tenant's store.")
    var tenant: TenantID?

    @Option(help: "Rebuild only this projection (default: every projection).")
    var projection: String?

    func run() async throws {
        let known = Projector.tenant().projections.map(\.name) + Projector.platform().projections.map(\.name)
        if let projection, !known.contains(projection) {
            throw ValidationError("no projection named \(projection); known: \(known.joined(separator: ", "))")
        }
        try await options.recoverJournal()
        let directory = options.directory
        // Which stores hold the projections asked for, and how many events each will replay.
        var stores: [(file: URL, identity: StoreIdentity, head: Int64)] = []
        for file in try options.storeFiles(tenant: tenant) {
            let store = try EventStore.open(existing: file, in: directory)
            if let projection, Self.projector(for: store.identity).projection(named: projection) == nil {
                try await store.close()
                continue
            }
            stores.append((file, store.identity, store.head))
            try await store.close()
        }
        let progress = ProgressReporter("rebuild", total: stores.reduce(0) { $0 + $1.head })
        var base: Int64 = 0
        var failed = 0
        for (index, (file, identity, head)) in stores.enumerated() {
            let note = "\(index)/\(stores.count) stores"
            progress.update(base, note: note)
            let started = ProcessInfo.processInfo.systemUptime
            let projector = Self.projector(for: identity)
            let names = projection.map { [$0] } ?? projector.projections.map(\.name)
            do {
                var configuration = EventStore.Configuration()
                configuration.hook = projector
                let store = try EventStore.open(existing: file, in: directory, configuration: configuration)
                let offset = base
                let report: Projector.RebuildReport
                do {
                    report = try await projector.rebuild(store, only: Set(names)) { done, _ in progress.update(offset + done, note: note) }
                    try await store.close()
                } catch {
                    try? await store.close()
                    throw error
                }
                let seconds = ProcessInfo.processInfo.systemUptime - started
                print("rebuilt \(identity): \(names.joined(separator: ", ")) from \(head) events in " + String(format: "%.2fs", seconds) + " (\(report))")
            } catch {
                failed += 1
                print("FAILED  \(identity): \(error)")
            }
            base += head
            progress.update(base, note: "\(index + 1)/\(stores.count) stores")
        }
        progress.finish()
        if failed > 0 { throw ExitCode(1) }
    }

    private static func projector(for identity: StoreIdentity) -> Projector {
        if case .platform = identity { .platform() } else { .tenant() }
    }
}
