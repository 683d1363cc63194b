import ArgumentParser
import Domain
import EventStore
import Foundation
import Gateway
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

struct BenchHTTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Benchmark the HTTP API: thread-message commands over keep-alive connections, and /api/stream delay.",
        discussion: """
            Starts the server in this process on a scratch data directory, creates one thread for each \
            of --tenants tenants, then sends POST /api/threads/:id/messages from --connections \
            concurrent keep-alive connections (driven by --load-threads threads that poll them, so that \
            the load generator's CPU stays small), to random tenants; each connection sends its next \
            command when the last one is answered. Reports commands/s and p50/p99 \
            latency and the process's CPU time per command, and for --watched tenants with an open /api/stream, the delay from a command's \
            response to its change arriving on the stream (p50/p99). Then the same number of commands at a fixed \
            --paced-rate (latency counted from when each command was due, so a server that falls behind \
            is charged for it). Then two baselines: the same \
            message events appended straight to the same stores by as many tasks (the storage path \
            alone: projections and flush, no HTTP), and the same HTTP load against a bare \
            Hummingbird route that reads the body and answers 201 (HTTP alone). Client and server \
            share the machine.
            """
    )

    @Option(help: "Commands to send in each load: the closed loop, then the fixed rate.")
    var commands = 20_000

    @Option(help: "Concurrent keep-alive connections.")
    var connections = 64

    @Option(help: "Tenants the commands are spread over.")
    var tenants = 100

    @Option(help: "Tenants whose /api/stream is watched for the delay measure.")
    var watched = 10

    @Option(help: "Threads the load generator spreads its connections over (each waits on its share with poll).")
    var loadThreads = 2

    @Option(help: "After the closed loop, the same number of commands at this rate (per second), for the latency at that load (0: skip).")
    var pacedRate = 5_000

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func run() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("clawcloud-bench-http-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let key = "bench-internal-key"
        let stores = try await Stores.open(DataDirectory(scratch), logger: logger)
        let services = Services(configuration: GatewayConfiguration(internalKey: key), stores: stores, logger: logger)
        var figures: HTTPFigures
        do {
            let before = stores.journal.statistics
            figures = try await Self.serving(GatewayApp.router(services), logger: logger) { port in
                try await HTTPBench(port: port, key: key, loadThreads: loadThreads).run(commands: commands, connections: connections, tenants: tenants, watched: min(watched, tenants), pacedRate: pacedRate)
            }
            figures.journal = stores.journal.statistics.since(before)
            figures.storageOnly = try await Self.storageOnly(stores, appends: commands, concurrency: connections, tenants: tenants)
        } catch {
            await stores.close()
            throw error
        }
        await stores.close()
        figures.bare = try await Self.serving(HTTPBench.bareRouter(), logger: logger) { port in
            try await HTTPBench(port: port, key: key, loadThreads: loadThreads).runBare(requests: commands, connections: connections)
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: figures.json, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(figures.table)
        }
    }

    /// The storage path alone: the same `message.added` events appended straight to the same
    /// tenants' stores (inline projections, flush), from as many concurrent tasks — no HTTP, no
    /// command bus. Returns appends/s.
    private static func storageOnly(_ stores: Stores, appends: Int, concurrency: Int, tenants: Int) async throws -> (perSecond: Double, cpu: Double) {
        let metadata = Data(#"{"actor":"bench"}"#.utf8)
        func appendable(_ events: [DomainEvent]) -> [StreamAppend] {
            events.map { StreamAppend(stream: $0.stream, events: [NewEvent(type: $0.type, schemaVersion: $0.schemaVersion, data: $0.data(), metadata: metadata)]) }
        }
        // The events the thread decider makes, as the API would have them made.
        let context = DecisionContext(actor: "bench", tenant: "bench", now: Int64(Date().timeIntervalSince1970 * 1000))
        let created = try ThreadDecider.decide(.create(threadId: "storage", kind: .chat, title: "storage"), ThreadDecider.initialState, context)
        let thread = ThreadDecider.fold(created)
        for index in 0..<tenants {
            try await stores.withTenant(TenantID(HTTPBench.tenant(index))) { store in _ = try await store.append(appendable(created)) }
        }
        let next = Locked(0)
        let clock = ContinuousClock()
        let cpu = HTTPBench.processCPUMicros()
        let elapsed = try await clock.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        var generator = SplitMix64()
                        while case let number = next.withLock({ value in defer { value += 1 }; return value }), number < appends {
                            let message = try ThreadDecider.decide(
                                .addMessage(threadId: "storage", messageId: "m\(number)", role: .user,
                                            parts: [["type": "text", "text": .string("benchmark message \(number)")]]), thread, context)
                            try await stores.withTenant(TenantID(HTTPBench.tenant(Int.random(in: 0..<tenants, using: &generator)))) { store in
                                _ = try await store.append(appendable(message))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        return (Double(appends) / (elapsed.milliseconds / 1_000), (HTTPBench.processCPUMicros() - cpu) / Double(appends))
    }

    /// Runs `body` with `router` served on a free loopback port, then stops the server by a
    /// graceful shutdown (as SIGTERM stops `serve`), not by cancellation.
    private static func serving<Context: RequestContext, Result>(
        _ router: Router<Context>, logger: Logger, _ body: (Int) async throws -> Result
    ) async throws -> Result where Context.Source == ApplicationRequestContextSource {
        let started = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in started.continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let server = Task { try await group.run() }
        var ports = started.stream.makeAsyncIterator()
        guard let port = await ports.next() else { throw ValidationError("the server did not start") }
        do {
            let result = try await body(port)
            await group.triggerGracefulShutdown()
            _ = try? await server.value
            return result
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await server.value
            throw error
        }
    }
}

/// The latency of the commands sent at a fixed rate (an open loop: latency counts from when a
/// command was due, see ``LoadDriver``).
struct PacedFigures {
    var rate: Int
    var commandsPerSecond: Double
    var p50: Double
    var p99: Double
    /// The tail a stall of the server shows in: p99.9 and the slowest command.
    var p999: Double
    var max: Double
    var cpuPerCommand: Double

    var json: [String: Any] {
        ["paced_rate": rate, "paced_commands_per_s": commandsPerSecond.rounded(), "paced_p50_ms": p50.hundredths,
         "paced_p99_ms": p99.hundredths, "paced_p999_ms": p999.hundredths, "paced_max_ms": max.hundredths,
         "paced_cpu_us_per_command": cpuPerCommand.rounded()]
    }

    var line: String {
        "at \(rate)/s offered      \(Int(commandsPerSecond)) commands/s, latency p50 / p99 / p99.9 / max "
            + [p50, p99, p999, max].map { String(format: "%.2f", $0) }.joined(separator: " / ") + " ms, "
            + "\(Int(cpuPerCommand)) µs CPU each (the same commands at a fixed rate; latency from when each was due)"
    }
}

/// The figures of `clawcloud bench http`.
struct HTTPFigures {
    var commands: Int
    var connections: Int
    var tenants: Int
    var commandsPerSecond: Double
    var p50: Double
    var p99: Double
    var streamP50: Double
    var streamP99: Double
    var streamSamples: Int
    /// CPU time (µs, every thread of the process, the load generator's included) per command.
    var cpuPerCommand: Double
    /// The same commands sent at a fixed rate, when measured.
    var paced: PacedFigures?
    /// The same load on a bare Hummingbird route: requests/s, p50, p99, CPU µs per request.
    var bare: (perSecond: Double, p50: Double, p99: Double, cpu: Double) = (0, 0, 0, 0)
    /// The same events appended straight to the stores, without HTTP or the command bus: appends/s, CPU µs per append.
    var storageOnly: (perSecond: Double, cpu: Double) = (0, 0)
    /// What the commit journal did while the commands ran (setup included).
    var journal = CommitJournal.Statistics()
    /// Store commits the journal made durable per disk flush.
    var recordsPerFlush: Double { Double(journal.records) / Double(max(1, journal.flushes)) }

    var json: [String: Any] {
        ["commands": commands, "connections": connections, "tenants": tenants, "commands_per_s": commandsPerSecond.rounded(),
         "p50_ms": p50.hundredths, "p99_ms": p99.hundredths, "stream_delay_p50_ms": streamP50.hundredths, "stream_delay_p99_ms": streamP99.hundredths,
         "stream_samples": streamSamples, "bare_http_per_s": bare.perSecond.rounded(), "bare_http_p50_ms": bare.p50.hundredths,
         "bare_http_p99_ms": bare.p99.hundredths, "cpu_us_per_command": cpuPerCommand.rounded(), "bare_http_cpu_us_per_request": bare.cpu.rounded(), "storage_only_appends_per_s": storageOnly.perSecond.rounded(),
         "storage_only_cpu_us_per_append": storageOnly.cpu.rounded(), "allocator": Allocator.name,
         "journal_records_per_flush": recordsPerFlush.hundredths,
         "journal_settled_after_commit": journal.settledAfterCommit, "journal_settled_by_retirer": journal.settledByRetirer,
         "journal_segments_recycled": journal.segmentsRecycled, "journal_segments_written_out": journal.segmentsWrittenOut].merging(paced?.json ?? [:]) { first, _ in first }
    }

    var table: String {
        """
        \(commands) thread-message commands over \(connections) keep-alive connections, \(tenants) tenants (\(Allocator.name))
        commands/s              \(Int(commandsPerSecond))
        latency p50 / p99       \(String(format: "%.2f", p50)) ms / \(String(format: "%.2f", p99)) ms
        CPU per command         \(Int(cpuPerCommand)) µs (the process, load generator included; bare route: \(Int(bare.cpu)) µs per request)
        commits per disk flush  \(String(format: "%.1f", recordsPerFlush)) (the commit journal's group commit across tenants)
        segments settled        \(journal.settledAfterCommit) store logs flushed after their own commits, \(journal.settledByRetirer) by the journal's retirer
        segments reused         \(journal.segmentsRecycled) retired segments kept as spares, \(journal.segmentsWrittenOut) segments written out as zeros
        \(paced?.line ?? "")
        stream delay p50 / p99  \(String(format: "%.2f", streamP50)) ms / \(String(format: "%.2f", streamP99)) ms (\(streamSamples) samples)
        bare Hummingbird POST   \(Int(bare.perSecond)) requests/s, p50 / p99 \(String(format: "%.2f", bare.p50)) / \(String(format: "%.2f", bare.p99)) ms \
        (same load, a route that reads the body and answers 201; commands are \(String(format: "%.2f", bare.perSecond > 0 ? commandsPerSecond / bare.perSecond : 0))x of it)
        storage path alone      \(Int(storageOnly.perSecond)) appends/s, \(Int(storageOnly.cpu)) µs CPU each (the same events appended straight to the \
        stores: projections and flush, no HTTP, no command bus; commands are \(String(format: "%.2f", storageOnly.perSecond > 0 ? commandsPerSecond / storageOnly.perSecond : 0))x of it)
        """
    }
}

extension Double {
    /// Rounded to two decimals, for the figures printed as JSON.
    fileprivate var hundredths: Double { (self * 100).rounded() / 100 }
}

/// The load: setup, the timed commands, and the stream watchers.
struct HTTPBench {
    let port: Int
    let key: String
    /// Threads the load generator's connections are spread over.
    let loadThreads: Int

    func run(commands: Int, connections: Int, tenants: Int, watched: Int, pacedRate: Int) async throws -> HTTPFigures {
        // Blocking socket work stays off the server's executors.
        let threads = try await onThread {
            let setup = try LoadConnection(port: port)
            var threads: [String] = []
            for index in 0..<tenants {
                let created = try setup.exchange("POST", "/api/threads", headers: headers(Self.tenant(index)), body: #"{"title":"bench"}"#)
                let json = (try? JSONParser.parse(Data(created.body))) ?? .null
                guard let id = json["data"]?["id"]?.stringValue else { throw ValidationError("could not create a thread: \(json)") }
                threads.append(id)
            }
            return threads
        }
        // Stream watchers, each on its own thread: arrival time of each position, per watched tenant.
        let arrivals = Locked<[String: ContinuousClock.Instant]>([:])
        let watchers = try (0..<watched).map { _ in try LoadConnection(port: port) }
        for (index, watcher) in watchers.enumerated() {
            let (user, fields) = (Self.tenant(index), headers(Self.tenant(index)))
            Thread {
                try? watcher.readEvents("/api/stream", headers: fields) { id in
                    let now = ContinuousClock.now
                    arrivals.withLock { $0["\(user)/\(id)"] = now }
                }
            }.start()
        }
        try await Task.sleep(for: .milliseconds(300))

        let responses = Locked<[String: ContinuousClock.Instant]>([:])
        let (paths, fields) = (threads.map { "/api/threads/\($0)/messages" }, (0..<tenants).map { headers(Self.tenant($0)) })
        /// The commands, as fast as they are answered (nil) or at `rate` per second; message ids
        /// start with `prefix` (a message sent again with its id is a no-op).
        func load(rate: Double?, prefix: String) async throws -> (elapsed: Duration, latencies: [Double], cpuMicros: Double) {
            try await drive(requests: commands, connections: connections, rate: rate) { number, generator in
                let index = Int.random(in: 0..<tenants, using: &generator)
                let body = #"{"id":"\#(prefix)\#(number)","role":"user","parts":[{"type":"text","text":"benchmark message \#(number)"}]}"#
                return .init(bytes: LoadConnection.request("POST", paths[index], headers: fields[index], body: body), tag: index)
            } check: { response in
                guard response.status == 201, let position = Self.integerMember(Self.positionMember, of: response.body) else {
                    throw ValidationError("command failed: \(response.status) \(String(decoding: response.body, as: UTF8.self))")
                }
                if rate == nil, response.tag < watched { responses.withLock { $0["\(Self.tenant(response.tag))/\(position)"] = response.received } }
            }
        }
        let (elapsed, sorted, cpu) = try await load(rate: nil, prefix: "m")
        var paced: PacedFigures?
        if pacedRate > 0 {
            let (elapsed, sorted, cpu) = try await load(rate: Double(pacedRate), prefix: "p")
            paced = PacedFigures(rate: pacedRate, commandsPerSecond: Double(commands) / (elapsed.milliseconds / 1_000),
                                 p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), p999: percentile(sorted, 0.999),
                                 max: sorted.last ?? 0, cpuPerCommand: cpu)
        }
        try await Task.sleep(for: .milliseconds(500))
        for watcher in watchers { watcher.stop() }
        let seen = arrivals.withLock { $0 }
        let delays = responses.withLock { $0 }.compactMap { key, response in seen[key].map { ($0 - response).milliseconds } }.sorted()
        return HTTPFigures(
            commands: commands, connections: connections, tenants: tenants,
            commandsPerSecond: Double(commands) / (elapsed.milliseconds / 1_000),
            p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99),
            streamP50: percentile(delays, 0.5), streamP99: percentile(delays, 0.99), streamSamples: delays.count, cpuPerCommand: cpu,
            paced: paced)
    }

    /// The baseline: the same number of requests over as many connections, to ``bareRouter()``.
    func runBare(requests: Int, connections: Int) async throws -> (perSecond: Double, p50: Double, p99: Double, cpu: Double) {
        let fields = headers("user_bench_0")
        let (elapsed, sorted, cpu) = try await drive(requests: requests, connections: connections) { number, _ in
            let body = #"{"id":"m\#(number)","role":"user","parts":[{"type":"text","text":"benchmark message \#(number)"}]}"#
            return .init(bytes: LoadConnection.request("POST", "/bench", headers: fields, body: body), tag: 0)
        } check: { response in
            guard response.status == 201 else { throw ValidationError("bare request failed: \(response.status)") }
        }
        return (Double(requests) / (elapsed.milliseconds / 1_000), percentile(sorted, 0.5), percentile(sorted, 0.99), cpu)
    }

    /// A Hummingbird router with one route that reads the request body and answers 201 with a
    /// small JSON object: HTTP alone on this machine.
    static func bareRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("bench") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            return Response(status: .created, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"data":{"bytes":\#(body.readableBytes)},"error":null,"ok":true,"position":1}"#)))
        }
        return router
    }

    /// Sends `requests` requests over `connections` keep-alive connections from ``loadThreads``
    /// threads (see ``LoadDriver``), as fast as they are answered or at `rate` per second. Returns the time it all took, each exchange's latency in ms,
    /// sorted, and the process's CPU time per request (µs).
    private func drive(
        requests: Int, connections: Int, rate: Double? = nil,
        _ make: @escaping @Sendable (Int, inout SplitMix64) -> LoadDriver.Request,
        check: @escaping @Sendable (LoadDriver.Response) throws -> Void
    ) async throws -> (elapsed: Duration, latencies: [Double], cpuMicros: Double) {
        let cpu = Self.processCPUMicros()
        let driver = LoadDriver(port: port, connections: connections, threads: loadThreads)
        let (elapsed, latencies) = try await driver.run(requests: requests, rate: rate, make: make, check: check)
        return (elapsed, latencies, (Self.processCPUMicros() - cpu) / Double(requests))
    }

    private static let positionMember: [UInt8] = Array(#""position":"#.utf8)

    /// The integer after the last `member` (`"name":`) in a JSON body (the envelope's own members
    /// come last), found without parsing the rest.
    private static func integerMember(_ member: [UInt8], of body: [UInt8]) -> Int? {
        guard body.count > member.count,
              let start = (0...(body.count - member.count)).reversed().first(where: { body[$0..<$0 + member.count].elementsEqual(member) })
        else { return nil }
        var value: Int?
        for byte in body[(start + member.count)...] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { break }
            value = (value ?? 0) * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    static func tenant(_ index: Int) -> String { "user_bench_\(index)" }

    /// Runs blocking work on a thread of its own.
    private func onThread<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Swift.Result { try work() }) }.start()
        }
    }

    /// The CPU time this process has used so far (user and system, every thread), in µs.
    static func processCPUMicros() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func micros(_ time: timeval) -> Double { Double(time.tv_sec) * 1e6 + Double(time.tv_usec) }
        return micros(usage.ru_utime) + micros(usage.ru_stime)
    }

    private func headers(_ user: String) -> [(String, String)] {
        [("X-OA-Internal-Key", key), ("X-OA-User-Id", user), ("Content-Type", "application/json")]
    }

    private func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15 }
}

/// A value shared by the benchmark's tasks.
final class Locked<Value: Sendable>: Sendable {
    private let state: Mutex<Value>

    init(_ value: Value) { state = Mutex(value) }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result { state.withLock { body(&$0) } }
}

private extension CommitJournal.Statistics {
    /// What the journal did after `earlier` was taken.
    func since(_ earlier: Self) -> Self {
        var difference = self
        difference.flushes -= earlier.flushes
        difference.records -= earlier.records
        difference.bytes -= earlier.bytes
        difference.settledAfterCommit -= earlier.settledAfterCommit
        difference.settledByRetirer -= earlier.settledByRetirer
        difference.segmentsRecycled -= earlier.segmentsRecycled
        difference.segmentsWrittenOut -= earlier.segmentsWrittenOut
        return difference
    }
}
