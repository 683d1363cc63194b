import AsyncHTTPClient
import Domain
import EventStore
import Foundation
@testable import Gateway
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// A server over a scratch data directory, its log lines kept in memory.
struct TestGateway {
    static let internalKey = "test-internal-key-0123456789abcdef"
    static let serviceToken = "test-service-token-fedcba9876543210"

    let directory: URL
    let services: Services
    let logs: LogCapture

    init(configure: (inout GatewayConfiguration) -> Void = { _ in }) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("clawcloud-gw-\(UUID().uuidString)")
        let logs = LogCapture()
        self.logs = logs
        var logger = Logger(label: "test") { _ in logs.handler() }
        logger.logLevel = .debug
        var configuration = GatewayConfiguration(internalKey: Self.internalKey, adminUserIDs: ["admin"], serviceToken: Self.serviceToken)
        configure(&configuration)
        let stores = try await Stores.open(DataDirectory(directory), logger: logger)
        services = Services(configuration: configuration, stores: stores, logger: logger)
    }

    var application: some ApplicationProtocol {
        Application(router: GatewayApp.router(services), logger: services.logger)
    }

    func close() async {
        await services.stores.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `test` against the router (no sockets) or a live server, then closes the stores.
    func run(_ setup: TestingSetup = .router, _ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        do {
            try await application.test(setup, test)
        } catch {
            await close()
            throw error
        }
        await close()
    }
}

/// Headers of the website's calls for `user`.
func headers(_ user: String, key: String = TestGateway.internalKey, idempotency: String? = nil) -> HTTPFields {
    var fields: HTTPFields = [.init("X-OA-Internal-Key")!: key, .init("X-OA-User-Id")!: user, .contentType: "application/json"]
    if let idempotency { fields[.init("Idempotency-Key")!] = idempotency }
    return fields
}

extension TestClientProtocol {
    /// Sends a request and parses the JSON response body.
    func call(_ method: HTTPRequest.Method, _ uri: String, as user: String = "user_a", body: String? = nil,
              idempotency: String? = nil, key: String = TestGateway.internalKey) async throws -> (status: Int, json: JSONValue, headers: HTTPFields) {
        let response = try await execute(uri: uri, method: method, headers: headers(user, key: key, idempotency: idempotency),
                                         body: body.map { ByteBuffer(string: $0) })
        let text = String(buffer: response.body)
        let json = text.isEmpty ? JSONValue.null : ((try? JSONParser.parse(Data(text.utf8))) ?? .string(text))
        return (Int(response.status.code), json, response.headers)
    }
}

/// Keeps every log line (message and metadata) so tests can check what was logged.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func handler() -> CaptureHandler { CaptureHandler(capture: self) }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    struct CaptureHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(event.message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }
}

/// A request to a server on a live port, on a connection of its own (the testing client sends
/// one request at a time): for requests that must be in flight together.
func liveCall(port: Int, _ method: NIOHTTP1.HTTPMethod, _ path: String, user: String = "user_a", key: String = TestGateway.internalKey,
              body: String? = nil, idempotency: String? = nil) async throws -> (status: Int, json: JSONValue) {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api\(path)")
    request.method = method
    request.headers.add(name: "X-OA-Internal-Key", value: key)
    request.headers.add(name: "X-OA-User-Id", value: user)
    if let idempotency { request.headers.add(name: "Idempotency-Key", value: idempotency) }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let bytes = try await response.body.collect(upTo: 1 << 20)
    return (Int(response.status.code), bytes.withUnsafeReadableBytes { (try? JSONParser.parse(Data($0))) ?? .null })
}
