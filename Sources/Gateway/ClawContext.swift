import EventStore
import Foundation
import Hummingbird

/// The request context: who is calling (set by ``AuthMiddleware``) and the request id that
/// tags log lines and event metadata.
public struct ClawContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The tenant the request acts for (`X-OA-User-Id`), once authenticated.
    public var tenant: TenantID?
    /// Whether the caller is listed in `CLAWCLOUD_ADMIN_USER_IDS`.
    public var isAdmin = false
    /// The SHA-256 (hex) of the body of a write that carries an `Idempotency-Key` (set by
    /// ``IdempotencyMiddleware``).
    public var bodyDigest: String?
    public let requestID: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestID = UUID.random().storedSpelling
    }

    /// Bodies are read with explicit limits (``RequestBody/json(_:limit:)``); this bounds the rest.
    public var maxUploadSize: Int { 1 << 20 }

    /// The authenticated tenant (routes behind ``AuthMiddleware`` always have one).
    public func requireTenant() throws -> TenantID {
        guard let tenant else { throw APIError(.unauthorized, "unauthorized") }
        return tenant
    }
}
