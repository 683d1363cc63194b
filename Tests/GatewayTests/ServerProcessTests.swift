import AsyncHTTPClient
import Domain
import EventStore
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// `clawcloud serve` as a child process.
final class ServerProcess: Sendable {
    static let key = "process-test-key-0123456789"
    let process: Process
    let port: Int
    let stderr: URL

    /// The built `clawcloud` next to the test bundle.
    static var binary: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while directory.pathComponents.count > 1, !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("clawcloud").path) {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("clawcloud")
    }

    /// Starts `clawcloud serve` on a free port, with `environment` added to its settings, and waits until it listens.
    init(data: URL, environment: [String: String] = [:]) async throws {
        stderr = data.deletingLastPathComponent().appendingPathComponent("serve-\(UUID().uuidString).log")
        try FileManager.default.createDirectory(at: data.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve", "--data", data.path, "--port", "0"]
        process.environment = ["CLAWCLOUD_INTERNAL_KEY": Self.key, "PATH": "/usr/bin:/bin"].merging(environment) { _, added in added }
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        self.process = process
        var port: Int?
        for _ in 0..<200 where port == nil {
            try await Task.sleep(for: .milliseconds(50))
            let log = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
            if let range = log.range(of: #"address=http://127.0.0.1:(\d+)"#, options: .regularExpression) {
                port = Int(log[range].split(separator: ":").last ?? "")
            }
        }
        guard let port else { throw ProcessFailure("serve did not start: \((try? String(contentsOf: stderr, encoding: .utf8)) ?? "")") }
        self.port = port
    }

    var log: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }

    /// `clawcloud verify --data data`: its exit status.
    static func verify(_ data: URL) throws -> Int32 {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["verify", "--data", data.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    func send(_ method: HTTPMethod, _ path: String, as user: String = "user_crash", body: String? = nil, idempotency: String? = nil) async throws -> (status: Int, json: JSONValue) {
        try await liveCall(port: port, method, path, user: user, key: Self.key, body: body, idempotency: idempotency)
    }
}

/// Commands the server answered, by idempotency key.
final class Acknowledged: Sendable {
    let values = Mutex<[String: String]>([:])
}

struct ProcessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@Suite("Server process")
struct ServerProcessTests {
    let data = FileManager.default.temporaryDirectory.appendingPathComponent("clawcloud-proc-\(UUID().uuidString)/data")

    @Test("every acknowledged command survives kill -9 of the server; a retried command then writes nothing")
    func killNine() async throws {
        defer { try? FileManager.default.removeItem(at: data.deletingLastPathComponent()) }
        let server = try await ServerProcess(data: data)
        let acknowledged = Acknowledged()
        let writers = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for index in 0..<1_000 {
                            let key = "k-\(worker)-\(index)"
                            guard let response = try? await server.send(.POST, "/threads", body: #"{"title":"\#(key)"}"#, idempotency: key),
                                  response.status == 201, let id = response.json["data"]?["id"]?.stringValue else { return }
                            acknowledged.values.withLock { $0[key] = id }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        while acknowledged.values.withLock({ $0.count }) < 200 { try await Task.sleep(for: .milliseconds(10)) }
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        try await writers.value
        let acked = acknowledged.values.withLock { $0 }
        #expect(acked.count >= 200)

        let restarted = try await ServerProcess(data: data)
        for (key, id) in acked {
            let thread = try await restarted.send(.GET, "/threads/\(id)")
            #expect(thread.status == 200, "acknowledged thread \(id) lost")
            #expect(thread.json["data"]?["title"] == .string(key))
        }
        // A client that saw no answer retries with its key: the first result, nothing written twice.
        let (key, id) = try #require(acked.first)
        let retried = try await restarted.send(.POST, "/threads", body: #"{"title":"\#(key)"}"#, idempotency: key)
        #expect(retried.json["data"]?["id"] == .string(id))
        restarted.process.terminate()
        restarted.process.waitUntilExit()
        #expect(restarted.process.terminationStatus == 0)
        #expect(try ServerProcess.verify(data) == 0)
    }

    /// The journal's segment files in the data directory.
    func segments() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: DataDirectory(data).journal.path)) ?? []
        return names.filter { $0.hasPrefix("journal-") }
    }

    @Test("after kill -9 an offline command first restores the stores from the server's commit journal; after SIGTERM nothing is left to restore")
    func journalAfterCrash() async throws {
        defer { try? FileManager.default.removeItem(at: data.deletingLastPathComponent()) }
        let server = try await ServerProcess(data: data)
        for index in 0..<20 { #expect(try await server.send(.POST, "/threads", body: #"{"title":"t\#(index)"}"#).status == 201) }
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        let journal = DataDirectory(data).journal
        #expect(!segments().isEmpty)
        #expect(CommitJournal.needsRecovery(in: journal))
        #expect(try ServerProcess.verify(data) == 0)
        #expect(segments().isEmpty)

        let restarted = try await ServerProcess(data: data)
        let listed = try await restarted.send(.GET, "/threads?limit=100").json["data"]
        if case .array(let threads)? = listed { #expect(threads.count == 20) } else { Issue.record("no thread list: \(String(describing: listed))") }
        #expect(!segments().isEmpty)
        restarted.process.terminate()
        restarted.process.waitUntilExit()
        #expect(restarted.process.terminationStatus == 0)
        #expect(segments().isEmpty)
        #expect(!CommitJournal.needsRecovery(in: journal))
    }

    @Test("SIGTERM stops the server gracefully: an open stream ends, the process exits 0 and the stores verify")
    func gracefulShutdown() async throws {
        defer { try? FileManager.default.removeItem(at: data.deletingLastPathComponent()) }
        let server = try await ServerProcess(data: data)
        #expect(try await server.send(.POST, "/threads", body: "{}").status == 201)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/api/stream?since=0")
        request.headers.add(name: "X-OA-Internal-Key", value: ServerProcess.key)
        request.headers.add(name: "X-OA-User-Id", value: "user_crash")
        let stream = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let reading = Task {
            var text = ""
            for try await chunk in stream.body { text += String(buffer: chunk) }
            return text
        }
        try await Task.sleep(for: .milliseconds(200))
        server.process.terminate()
        let text = try await reading.value
        #expect(text.contains("event: ready"))
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        #expect(server.log.contains("stores closed"))
        #expect(!server.log.contains(ServerProcess.key))
        #expect(try ServerProcess.verify(data) == 0)
    }

    @Test("serve without CLAWCLOUD_INTERNAL_KEY is a clear error, exit 2")
    func missingKey() throws {
        let process = Process()
        process.executableURL = ServerProcess.binary
        process.arguments = ["serve", "--data", data.path]
        process.environment = [:]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        #expect(message.contains("CLAWCLOUD_INTERNAL_KEY is not set"))
    }
}
