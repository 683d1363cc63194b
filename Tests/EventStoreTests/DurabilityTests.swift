import EventStore
import Foundation
import Testing

@Suite("Durability")
struct DurabilityTests {
    @Test("every acknowledged append survives SIGKILL of the writing process", arguments: 1...3)
    func killDashNine(round: Int) async throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let probe = Process()
        probe.executableURL = productsDirectory().appendingPathComponent("store-crash-probe")
        probe.arguments = [scratch.url.path]
        // The probe writes its acknowledgements to a file: a write(2) that returned survives the kill.
        let acks = scratch.url.appendingPathComponent("acks.txt")
        try FileManager.default.createDirectory(at: scratch.url, withIntermediateDirectories: true)
        try Data().write(to: acks)
        let output = try FileHandle(forWritingTo: acks)
        probe.standardOutput = output
        try probe.run()
        try output.close()

        // Wait until the probe is writing, then kill it at a random moment.
        let started = ContinuousClock.now
        while try !String(decoding: Data(contentsOf: acks), as: UTF8.self).contains("ack ") {
            #expect(ContinuousClock.now - started < .seconds(30), "the probe never acknowledged an append")
            guard probe.isRunning, ContinuousClock.now - started < .seconds(30) else { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(Int.random(in: 100...500)))
        kill(probe.processIdentifier, SIGKILL)
        probe.waitUntilExit()
        #expect(probe.terminationReason == .uncaughtSignal)
        let lines = String(decoding: try Data(contentsOf: acks), as: UTF8.self).split(separator: "\n")

        // Only complete lines count: the last one may have been cut by the kill.
        var acknowledged: [(position: Int64, id: UUID)] = []
        for line in lines.dropLast() where line.hasPrefix("ack ") {
            let fields = line.split(separator: " ")
            acknowledged.append((Int64(fields[1])!, UUID(uuidString: String(fields[2]))!))
        }
        #expect(acknowledged.count > 10, "the probe should have appended before it was killed")

        let store = try EventStore.open(.tenant(TenantID("crash-probe")), in: scratch.data)
        let log = try await store.read(after: 0, limit: 1_000_000)
        let stored = Dictionary(uniqueKeysWithValues: log.map { ($0.id, $0.position) })
        let lost = acknowledged.filter { stored[$0.id] != $0.position }
        #expect(lost.isEmpty, "acknowledged but not found after the crash: \(lost.prefix(5))")
        #expect(try await store.verify().isIntact)
        // The reopened store keeps appending after the recovered head.
        let next = try await store.append([event("after-crash")], to: "probe-0")
        #expect(next.position == (log.last?.position ?? 0) + 1)
        try await store.close()
    }

    @Test("a process's stores run SQLite without its memory statistics (a global mutex on every allocation)")
    func sqliteMemoryStatisticsOff() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let probe = Process()
        probe.executableURL = productsDirectory().appendingPathComponent("store-crash-probe")
        probe.arguments = [scratch.url.path]
        let output = Pipe()
        probe.standardOutput = output
        try probe.run()
        defer { kill(probe.processIdentifier, SIGKILL); probe.waitUntilExit() }
        var line: [UInt8] = []
        while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first, byte != 0x0A { line.append(byte) }
        // With the statistics on, an open store has SQLite counting hundreds of kilobytes in use.
        #expect(String(decoding: line, as: UTF8.self) == "ready 0")
    }
}
