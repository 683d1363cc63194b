import AsyncHTTPClient
import Domain
import EventStore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Calls one tenant's OpenClaw runtime over its HTTP contract: the service token, the instance's
/// sandbox id in `x-oa-instance-id`, JSON bodies, the `{ok, data | error:{code, message, details}}`
/// envelope (see docs/runtime-contract.md).
///
/// The runtime ignores idempotency keys: a call it received runs, and a repeated call runs again.
/// So a failure says whether the call may have reached it (``RuntimeError/mayHaveRun``): a call
/// that could not be sent is safe to make again; one whose answer was lost is not.
public struct RuntimeClient: Sendable {
    let baseURL: String
    let serviceToken: String
    let timeout: TimeAmount
    let http: HTTPClient
    /// The id the runtime knows the tenant's instance by (see ``SandboxID``).
    public let sandbox: String
    /// Headers every call carries besides the contract's own (the default model, a tenant's provider keys).
    private(set) var headers: [(String, String)] = []

    public init(baseURL: String, serviceToken: String, sandbox: String = "", timeout: TimeAmount = .seconds(210), http: HTTPClient = .shared) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.serviceToken = serviceToken
        self.sandbox = sandbox
        self.timeout = timeout
        self.http = http
    }

    /// This client, with `headers` added to every call.
    func adding(_ headers: [(String, String)]) -> RuntimeClient {
        var client = self
        client.headers += headers
        return client
    }

    /// This client, for the instance the runtime knows as `sandbox`.
    func on(_ sandbox: String) -> RuntimeClient {
        var client = RuntimeClient(baseURL: baseURL, serviceToken: serviceToken, sandbox: sandbox, timeout: timeout, http: http)
        client.headers = headers
        return client
    }

    /// A JSON call; returns the envelope's `data`.
    public func call(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws -> JSONValue {
        var request = self.request(path)
        request.method = method
        if let body { request.body = .bytes(ByteBuffer(bytes: JSONWriter.data(body))) }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: 8 << 20)
        } catch {
            throw RuntimeError(error)
        }
        let envelope = bytes.withUnsafeReadableBytes { try? JSONParser.parse(Data($0)) }
        guard let envelope, case .bool(let ok)? = envelope["ok"] else {
            throw RuntimeError(status: Self.status(Int(response.status.code)), message: "runtime http \(response.status.code): invalid response")
        }
        guard ok else {
            var message = envelope["error"]?["message"]?.stringValue ?? "runtime error"
            if let detail = envelope["error"]?["details"]?["message"]?.stringValue, !detail.isEmpty { message += ": \(detail)" }
            throw RuntimeError(status: Self.status(Int(response.status.code)), message: message)
        }
        return envelope["data"] ?? .null
    }

    /// A streaming call (`/v1/responses`): the response, its body not yet read.
    public func stream(_ path: String, body: ByteBuffer, headers: [(String, String)]) async throws -> HTTPClientResponse {
        var request = self.request(path)
        request.method = .POST
        request.headers.replaceOrAdd(name: "accept", value: "text/event-stream")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(body)
        do {
            return try await http.execute(request, timeout: timeout)
        } catch {
            throw RuntimeError(error)
        }
    }

    private func request(_ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "accept", value: "application/json")
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "x-openagents-service-token", value: serviceToken)
        request.headers.add(name: "x-oa-instance-id", value: sandbox)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return request
    }

    /// The runtime's status when it is 400–599, else 502 (as the original API maps it).
    static func status(_ code: Int) -> Int { (400...599).contains(code) ? code : 502 }
}

/// A failed runtime call: the status to answer with and the runtime's message.
public struct RuntimeError: Error, Sendable {
    public let status: Int
    public let message: String
    /// True when no answer came: the runtime could not be reached, or did not answer in time.
    public var unreachable = false
    /// True when the call may have reached the runtime and run there (its answer was lost: a
    /// timeout, a connection that broke after the request was sent). Never true for a call that
    /// could not be sent.
    public var mayHaveRun = false

    public init(status: Int, message: String, unreachable: Bool = false, mayHaveRun: Bool = false) {
        self.status = status
        self.message = message
        self.unreachable = unreachable
        self.mayHaveRun = mayHaveRun
    }

    /// What a transport failure means: a connection that could not be made sent nothing; any
    /// other failure (a timeout, a broken connection) may have come after the runtime got the call.
    init(_ error: any Error) {
        if let error = error as? HTTPClientError, error == .connectTimeout {
            self.init(status: 502, message: "the OpenClaw runtime is unreachable", unreachable: true)
        } else if error is NIOConnectionError || (error as? IOError)?.errnoCode == ECONNREFUSED {
            self.init(status: 502, message: "the OpenClaw runtime is unreachable", unreachable: true)
        } else if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
            self.init(status: 504, message: "the OpenClaw runtime did not answer in time", unreachable: true, mayHaveRun: true)
        } else {
            self.init(status: 502, message: "the connection to the OpenClaw runtime broke off", unreachable: true, mayHaveRun: true)
        }
    }
}
