import Domain
import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// The JSON body decoded as `T`, read up to `limit` bytes (413 beyond). Malformed JSON and
    /// wrong or missing members are 400s that name the member.
    func json<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T {
        let buffer = try await collectBody(limit: limit)
        guard buffer.readableBytes > 0 else { throw APIError.badRequest("missing request body") }
        let value = try buffer.withUnsafeReadableBytes { try JSONParser.parse(Data($0)) }
        guard case .object = value else { throw APIError.badRequest("the request body must be a JSON object") }
        return try JSONValueDecoder.decode(type, from: value)
    }

    /// The body, read up to `limit` bytes.
    func collectBody(limit: Int) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw APIError(.contentTooLarge, "request body is larger than \(limit) bytes")
        }
    }

    /// The `Idempotency-Key` header: 1–200 printable ASCII characters.
    func idempotencyKey() throws -> String? {
        guard let key = headers[.init("Idempotency-Key")!] else { return nil }
        guard (1...200).contains(key.utf8.count), key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw APIError.badRequest("Idempotency-Key must be 1-200 printable ASCII characters")
        }
        return key
    }

    /// A query parameter as an integer within `range` (nil when absent).
    func queryInt(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.badRequest("query parameter \(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A query parameter that must be one of `allowed` (nil when absent).
    func queryChoice(_ name: String, _ allowed: [String]) throws -> String? {
        guard let value = uri.queryParameters.get(name) else { return nil }
        guard allowed.contains(value) else {
            throw APIError.badRequest("query parameter \(name) must be one of \(allowed.joined(separator: ", "))")
        }
        return value
    }
}

extension ClawContext {
    /// A path parameter, percent-decoded and checked: 1–256 bytes without control characters or slashes.
    func pathParameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        // Most parameters have nothing to decode (Foundation's decoding is comparatively slow).
        guard let value = raw.utf8.contains(UInt8(ascii: "%")) ? raw.removingPercentEncoding : String(raw), (1...256).contains(value.utf8.count),
              value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "\\") })
        else { throw APIError.badRequest("path parameter \(name) is not valid") }
        return value
    }
}
