import Domain
import EventStore
import Foundation
import Hummingbird

/// An error as the API reports it: an HTTP status, a stable `code` and a message for people.
///
/// Every failure becomes one of these (see ``init(_:)``), so a client always gets the envelope
/// `{"ok":false,"data":null,"error":"<message>","code":"<code>"}` with a 4xx or 5xx status.
public struct APIError: Error, Sendable, Equatable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Extra response headers (`Allow` on a 405).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, code: String? = nil) {
        self.status = status
        self.message = message
        self.code = code ?? Self.code(for: status)
    }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }

    /// The API error for anything a handler throws.
    public init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as DomainError:
            switch error {
            case .invalid(let message): self.init(.badRequest, message)
            case .forbidden(let message): self.init(.forbidden, message)
            case .notFound(let message): self.init(.notFound, message)
            case .conflict(let message): self.init(.conflict, message)
            case .approvalRequired(let message): self.init(.accepted, message, code: "approval_required")
            }
        case let error as EventStoreError:
            switch error {
            case .conflict: self.init(.conflict, "the resource changed meanwhile; retry", code: "conflict")
            case .idempotencyMismatch: self.init(.conflict, "this Idempotency-Key was used for another request", code: "conflict")
            case .invalidTenantID(let reason): self.init(.badRequest, reason)
            case .closed: self.init(.serviceUnavailable, "the server is shutting down")
            default: self.init(.internalServerError, "internal error", code: "internal_error")
            }
        case let error as RuntimeError:
            self.init(HTTPResponse.Status(code: error.status), error.message)
        case let error as JSONSyntaxError:
            self.init(.badRequest, "malformed JSON body: \(error)")
        case let error as DecodingError:
            self.init(.badRequest, DomainError.describe(error))
        case let error as HTTPError:
            self.init(error.status, error.body ?? Self.defaultMessage(error.status))
        default:
            self.init(.internalServerError, "internal error", code: "internal_error")
        }
    }

    private static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 409: "conflict"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        case 429: "too_many_requests"
        case 502: "bad_gateway"
        case 503: "unavailable"
        case 504: "gateway_timeout"
        case 400..<500: "bad_request"
        default: "internal_error"
        }
    }

    private static func defaultMessage(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: "no such route"
        case 413: "request body is too large"
        default: status.reasonPhrase.lowercased()
        }
    }
}
