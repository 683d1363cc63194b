import ArgumentParser
import EventStore
import Foundation

struct BenchStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Benchmark one tenant's event store against raw SQLite.",
        discussion: """
            In a scratch directory, measures: durable single-writer appends (1 event per transaction, \
            each flushed to disk before it is acknowledged) and the same loop written directly against \
            the SQLite C API with synchronous=FULL and the same table; appends from 64 concurrent writers (group commit); and reading the tenant \
            log into envelopes next to a raw SQLite scan of the same rows. Prints ratios.
            """
    )

    @Option(help: "Appends in each single-writer loop.")
    var appends = 3_000

    @Option(help: "Events appended by the concurrent writers, in all.")
    var concurrentAppends = 20_000

    @Option(help: "Concurrent writers.")
    var writers = 64

    @Option(help: "Events in the log for the read benchmark.")
    var readEvents = 200_000

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("clawcloud-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let benchmark = StoreBenchmark(directory: DataDirectory(scratch))
        let figures = try await benchmark.run(
            appends: appends, concurrentAppends: concurrentAppends, writers: writers, readEvents: readEvents)
        if json {
            let data = try JSONSerialization.data(withJSONObject: figures.json, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(figures.table)
        }
    }
}
