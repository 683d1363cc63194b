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
        ]
    }

    var table: String {
        func row(_ name: String, _ value: Double, _ baseline: String) -> String {
            name.padding(toLength: 44, withPad: " ", startingAt: 0)
                + String(format: "%12.0f /s", value) + "   " + baseline
        }
        return [
            row("single writer, 1 event/txn, FULL", singleWriterPerSecond,
                String(format: "%.2fx raw SQLite (%.0f /s)", ratio(singleWriterPerSecond, rawSingleWriterPerSecond), rawSingleWriterPerSecond)),
            row("group commit, \(writers) concurrent writers", groupCommitPerSecond,
                String(format: "%.2fx single writer", ratio(groupCommitPerSecond, singleWriterPerSecond))),
            row("read tenant log into envelopes", readPerSecond,
                String(format: "%.2fx raw SQLite scan (%.0f /s)", ratio(readPerSecond, rawScanPerSecond), rawScanPerSecond)),
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
        let singleStore = try EventStore.open(.tenant(TenantID("bench-single")), in: directory)
        let single = try await measure(appends) {
            for index in 0..<appends {
                try await singleStore.append([NewEvent(type: "bench.appended", data: Self.payload(index), metadata: Self.metadata)],
                                             to: "bench-\(index % 16)")
            }
        }
        try await singleStore.close()

        // The baseline writes into an empty store file, so table, indexes and triggers are the same.
        let rawStore = try EventStore.open(.tenant(TenantID("bench-raw")), in: directory)
        try await rawStore.close()
        let rawWriter = try RawSQLiteBaseline(path: rawStore.url.path)
        let raw = try await measure(appends) {
            try rawWriter.appendLoop(count: appends, payload: Self.payload, metadata: Self.metadata)
        }
        rawWriter.close()

        let groupStore = try EventStore.open(.tenant(TenantID("bench-group")), in: directory)
        let perWriter = max(1, concurrentAppends / writers)
        let group = try await measure(perWriter * writers) {
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
        var readCount = 0
        let read = try await measure(readEvents) {
            var cursor: Int64 = 0
            while true {
                let batch = try await readStore.read(after: cursor, limit: 1_000)
                guard let last = batch.last else { break }
                readCount += batch.count
                cursor = last.position
            }
        }
        try await readStore.close()
        let scanner = try RawSQLiteBaseline(path: readStore.url.path)
        var scanned = 0
        let scan = try await measure(readEvents) { scanned = try scanner.scan() }
        scanner.close()
        guard readCount == readEvents, scanned == readEvents else {
            throw BenchmarkError("read \(readCount) and scanned \(scanned) events, expected \(readEvents)")
        }

        return StoreFigures(
            singleWriterPerSecond: single, rawSingleWriterPerSecond: raw, groupCommitPerSecond: group, writers: writers,
            readPerSecond: read, rawScanPerSecond: scan, readEvents: readEvents)
    }

    /// Runs `work` once and returns `count / seconds`.
    private func measure(_ count: Int, _ work: () async throws -> Void) async throws -> Double {
        let clock = ContinuousClock()
        let elapsed = try await clock.measure { try await work() }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(count) / seconds
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
