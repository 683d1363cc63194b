import EventStore
import Foundation

/// The figures of `clawcloud bench store`.
struct StoreFigures {
    var singleWriterPerSecond: Double
    var rawSingleWriterPerSecond: Double
    var groupCommitPerSecond: Double
    var writers: Int
    var readPerSecond: Double
    var rawScanPerSecond: Double
    var readEvents: Int

    var json: [String: Any] {
        [
            "single_writer_per_s": singleWriterPerSecond.rounded(),
            "raw_single_writer_per_s": rawSingleWriterPerSecond.rounded(),
            "single_writer_ratio": ratio(singleWriterPerSecond, rawSingleWriterPerSecond),
            "group_commit_per_s": groupCommitPerSecond.rounded(),
            "group_commit_ratio": ratio(groupCommitPerSecond, singleWriterPerSecond),
            "writers": writers,
            "read_per_s": readPerSecond.rounded(),
            "raw_scan_per_s": rawScanPerSecond.rounded(),
            "read_ratio": ratio(readPerSecond, rawScanPerSecond),
            "read_events": readEvents,
            "allocator": Allocator.name,
        ]
    }

    var table: String {
        func row(_ name: String, _ value: Double, _ baseline: String) -> String {
            name.padding(toLength: 44, withPad: " ", startingAt: 0)
                + String(format: "%12.0f /s", value) + "   " + baseline
        }
        return [
            row("single writer, 1 event/txn, durable", singleWriterPerSecond,
                String(format: "%.2fx raw SQLite (%.0f /s)", ratio(singleWriterPerSecond, rawSingleWriterPerSecond), rawSingleWriterPerSecond)),
            row("group commit, \(writers) concurrent writers", groupCommitPerSecond,
                String(format: "%.2fx single writer", ratio(groupCommitPerSecond, singleWriterPerSecond))),
            row("read tenant log into envelopes", readPerSecond,
                String(format: "%.2fx raw SQLite scan (%.0f /s)", ratio(readPerSecond, rawScanPerSecond), rawScanPerSecond)),
            "(\(Allocator.name))",
        ].joined(separator: "\n")
    }

    private func ratio(_ value: Double, _ baseline: Double) -> Double {
        baseline > 0 ? (value / baseline * 100).rounded() / 100 : 0
    }
}

/// Runs the store benchmark in a scratch data directory.
struct StoreBenchmark {
    let directory: DataDirectory

    /// A ~200-byte payload, like a message or charge event.
    static func payload(_ index: Int) -> Data {
        Data(#"{"amount_micros":\#(index * 1_000),"message_id":"m-\#(index)","reason":"tokens","text":"The quick brown fox jumps over the lazy dog; benchmark payload of realistic size.","thread_id":"t-42"}"#.utf8)
    }

    static let metadata = Data(#"{"actor":"user_bench","request_id":"req-0000000000"}"#.utf8)

    func run(appends: Int, concurrentAppends: Int, writers: Int, readEvents: Int) async throws -> StoreFigures {
        // Single writer vs raw SQLite, interleaved in rounds so both see the same disk weather.
        // The baseline writes into an empty store file, so table, indexes and triggers are the same.
        let singleStore = try EventStore.open(.tenant(TenantID("bench-single")), in: directory)
        let rawStore = try EventStore.open(.tenant(TenantID("bench-raw")), in: directory)
        try await rawStore.close()
        let rawWriter = try RawSQLiteBaseline(path: rawStore.url.path)
        let rounds = 5
        let perRound = max(1, appends / rounds)
        var single = Duration.zero
        var raw = Duration.zero
        for round in 0..<rounds {
            single += try await elapsed {
                for index in (round * perRound)..<((round + 1) * perRound) {
                    try await singleStore.append([NewEvent(type: "bench.appended", data: Self.payload(index), metadata: Self.metadata)],
                                                 to: "bench-\(index % 16)")
                }
            }
            raw += try await elapsed {
                try rawWriter.appendLoop(count: perRound, payload: Self.payload, metadata: Self.metadata)
            }
        }
        rawWriter.close()
        try await singleStore.close()

        let groupStore = try EventStore.open(.tenant(TenantID("bench-group")), in: directory)
        let perWriter = max(1, concurrentAppends / writers)
        let group = try await elapsed {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for writer in 0..<writers {
                    tasks.addTask {
                        for index in 0..<perWriter {
                            try await groupStore.append([NewEvent(type: "bench.appended", data: Self.payload(index), metadata: Self.metadata)],
                                                        to: "writer-\(writer)")
                        }
                    }
                }
                try await tasks.waitForAll()
            }
        }
        try await groupStore.close()

        let readStore = try EventStore.open(.tenant(TenantID("bench-read")), in: directory)
        for start in stride(from: 0, to: readEvents, by: 1_000) {
            let events = (start..<min(readEvents, start + 1_000)).map {
                NewEvent(type: "bench.appended", data: Self.payload($0), metadata: Self.metadata)
            }
            try await readStore.append(events, to: "read-\(start / 1_000 % 50)")
        }
        // Reads are CPU-bound and short: take the best of interleaved rounds for each side.
        let scanner = try RawSQLiteBaseline(path: readStore.url.path)
        var read = Duration.seconds(1_000)
        var scan = Duration.seconds(1_000)
        for _ in 0..<rounds {
            var readCount = 0
            read = min(read, try await elapsed {
                var cursor: Int64 = 0
                while true {
                    let batch = try await readStore.read(after: cursor, limit: 1_000)
                    guard let last = batch.last else { break }
                    readCount += batch.count
                    cursor = last.position
                }
            })
            var scanned = 0
            scan = min(scan, try await elapsed { scanned = try scanner.scan() })
            guard readCount == readEvents, scanned == readEvents else {
                throw BenchmarkError("read \(readCount) and scanned \(scanned) events, expected \(readEvents)")
            }
        }
        scanner.close()
        try await readStore.close()

        return StoreFigures(
            singleWriterPerSecond: rate(perRound * rounds, single), rawSingleWriterPerSecond: rate(perRound * rounds, raw),
            groupCommitPerSecond: rate(perWriter * writers, group), writers: writers,
            readPerSecond: rate(readEvents, read), rawScanPerSecond: rate(readEvents, scan), readEvents: readEvents)
    }

    private func elapsed(_ work: () async throws -> Void) async throws -> Duration {
        try await ContinuousClock().measure { try await work() }
    }

    private func rate(_ count: Int, _ duration: Duration) -> Double {
        Double(count) / (Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
