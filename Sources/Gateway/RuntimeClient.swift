import AsyncHTTPClient
import Domain
import EventStore
import Foundation
import NIOCore
import NIOHTTP1

/// Calls the tenant's OpenClaw runtime over its HTTP contract: the service token, the tenant in
/// `x-oa-instance-id`, JSON bodies, the `{ok, data | error:{code, message}}` envelope. Side
/// effects carry an `Idempotency-Key`, so a call repeated after a crash is recognisable.
///
/// Failures are ``RuntimeError``s: the runtime's own error (with its status), or the runtime
/// unreachable or too slow (a 502 or 504 to our caller; the outbox retries those later).
public struct RuntimeClient: Sendable {
    let baseURL: String
    let serviceToken: String
    let timeout: TimeAmount
    let http: HTTPClient
    /// Headers every call carries besides the contract's own (a tenant's provider keys).
    private(set) var headers: [(String, String)] = []

    public init(baseURL: String, serviceToken: String, timeout: TimeAmount = .seconds(30), http: HTTPClient = .shared) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.serviceToken = serviceToken
        self.timeout = timeout
        self.http = http
    }

    /// This client, with `headers` added to every call.
    func adding(_ headers: [(String, String)]) -> RuntimeClient {
        var client = self
        client.headers += headers
        return client
    }

    /// A JSON call; returns the envelope's `data`.
    public func call(_ method: HTTPMethod, _ path: String, tenant: TenantID, body: JSONValue? = nil, idempotencyKey: String? = nil) async throws -> JSONValue {
        var request = self.request(path, tenant: tenant)
        request.method = method
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if let body { request.body = .bytes(ByteBuffer(bytes: JSONWriter.data(body))) }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: 8 << 20)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw RuntimeError(status: 504, message: "the OpenClaw runtime did not answer in time", unreachable: true)
        } catch {
            throw RuntimeError(status: 502, message: "the OpenClaw runtime is unreachable", unreachable: true)
        }
        let envelope = bytes.withUnsafeReadableBytes { try? JSONParser.parse(Data($0)) }
        guard let envelope, case .bool(let ok)? = envelope["ok"] else {
            throw RuntimeError(status: Self.status(Int(response.status.code)), message: "runtime http \(response.status.code): invalid response")
        }
        guard ok else {
            let message = envelope["error"]?["message"]?.stringValue ?? "runtime error"
            throw RuntimeError(status: Self.status(Int(response.status.code)), message: message)
        }
        return envelope["data"] ?? .null
    }

    /// A streaming call (`/v1/responses`): the response, its body not yet read.
    public func stream(_ path: String, tenant: TenantID, body: ByteBuffer, headers: [(String, String)]) async throws -> HTTPClientResponse {
        var request = self.request(path, tenant: tenant)
        request.method = .POST
        request.headers.replaceOrAdd(name: "accept", value: "text/event-stream")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(body)
        do {
            return try await http.execute(request, timeout: .seconds(120))
        } catch {
            throw RuntimeError(status: 502, message: "the OpenClaw runtime is unreachable", unreachable: true)
        }
    }

    private func request(_ path: String, tenant: TenantID) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "accept", value: "application/json")
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "x-openagents-service-token", value: serviceToken)
        request.headers.add(name: "x-oa-instance-id", value: tenant.rawValue)
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
    /// True when the runtime could not be reached (or timed out): worth retrying later.
    public var unreachable = false
}
