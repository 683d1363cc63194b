import ArgumentParser
import EventStore
import Foundation
import GRDB
import Projections

struct BenchReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Benchmark replaying a tenant history through every projection.",
        discussion: """
            Imports the history (default: the long fixture) into a scratch store, then times a full \
            rebuild of every tenant projection from the log (read, decode, upcast, apply, write the \
            rows, swap) next to a plain read of the same events through the store API, and next to \
            SQLite alone writing the rows the rebuild wrote (C API, one transaction, then the \
            indexes): the most a rebuild could reach with these views. Prints the events/s of each \
            and the ratios; --json prints one object (events_per_s, plain_read_per_s, events, ratio, \
            rows, raw_row_write_events_per_s). Build with `swift build -c release` first.
            """
    )

    @Option(help: "The fixture to replay.")
    var fixture = "fixtures/tenants/long-history"

    @Option(help: "Timed runs; the best is reported.")
    var runs = 3

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() async throws {
        let history = Fixture(URL(fileURLWithPath: fixture))
        guard FileManager.default.fileExists(atPath: history.events.path) else {
            throw ValidationError("no events.jsonl in \(fixture)")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("clawcloud-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let projector = Projector.tenant()
        let store = try EventStore.open(.tenant(TenantID("bench")), in: DataDirectory(scratch))
        let events = try await store.importJSONL(from: history.events).events

        var plainRead = Duration.zero
        var replay = Duration.zero
        var phases: Projector.RebuildReport?
        for run in 0..<max(1, runs) {
            let read = try await elapsed {
                var cursor: Int64 = 0
                while case let batch = try await store.read(after: cursor, limit: 2_000), let last = batch.last {
                    cursor = last.position
                }
            }
            let start = ContinuousClock.now
            let report = try await projector.rebuild(store)
            let rebuild = ContinuousClock.now - start
            plainRead = run == 0 ? read : min(plainRead, read)
            if run == 0 || rebuild < replay { (replay, phases) = (rebuild, report) }
        }
        let tables = try await store.read { db in try Self.storedRows(db, projector) }
        let rows = tables.reduce(0) { $0 + $1.rows.count }
        var rawWrite = Duration.zero
        for run in 0..<max(1, runs) {
            let file = scratch.appendingPathComponent("raw-rows-\(run).sqlite").path
            let raw = try RawSQLiteBaseline(path: file, synchronous: "NORMAL")
            let took = try await elapsed { try raw.load(tables) }
            raw.close()
            rawWrite = run == 0 ? took : min(rawWrite, took)
        }
        try await store.close()

        let rawRate = rate(events, rawWrite)
        let replayRate = rate(events, replay)
        let readRate = rate(events, plainRead)
        let ratio = readRate > 0 ? (replayRate / readRate * 100).rounded() / 100 : 0
        if json {
            let object: [String: Any] = [
                "events": events, "events_per_s": replayRate.rounded(), "plain_read_per_s": readRate.rounded(), "ratio": ratio,
                "projections": projector.projections.count, "rows": rows, "raw_row_write_events_per_s": rawRate.rounded(),
                "allocator": Allocator.name,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\(events) events of \(history.name), \(projector.projections.count) projections, best of \(max(1, runs)) runs (\(Allocator.name))")
            print(String(format: "replay through every projection %12.0f events/s   %.2fx plain read", replayRate, ratio))
            print(String(format: "plain read of the same events   %12.0f events/s", readRate))
            if let phases { print("the best replay's phases: \(phases)") }
            print(String(format: "SQLite alone writing its rows   %12.0f events/s   (%d rows and their indexes; replay is %.2fx of it)",
                         rawRate, rows, rawRate > 0 ? replayRate / rawRate : 0))
        }
    }

    /// Every row of every projection as stored, table by table in key order.
    private static func storedRows(_ db: Database, _ projector: Projector) throws -> [RawSQLiteBaseline.TableRows] {
        try projector.projections.flatMap { projection in
            try projection.collections.compactMap { collection -> RawSQLiteBaseline.TableRows? in
                guard let table = try ProjectionCatalog.activeTable(db, projection.name, collection) else { return nil }
                let rows = try GRDB.Row.fetchAll(db, sql: "SELECT key, scope, sort, position, body FROM \"\(table)\" ORDER BY key").map { row in
                    (key: row["key"] as String, scope: row["scope"] as String, sort: row["sort"] as Int64, position: row["position"] as Int64,
                     body: row["body"] as String)
                }
                return RawSQLiteBaseline.TableRows(name: table, rows: rows)
            }
        }
    }

    private func elapsed(_ work: () async throws -> Void) async throws -> Duration {
        let clock = ContinuousClock()
        return try await clock.measure(work)
    }

    private func rate(_ count: Int64, _ duration: Duration) -> Double {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds > 0 ? Double(count) / seconds : 0
    }
}
