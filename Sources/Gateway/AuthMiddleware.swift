import Crypto
import EventStore
import Foundation
import Hummingbird

/// Auth of the website's calls: the internal key as `X-OA-Internal-Key` or `Authorization: Bearer
/// <key>` (compared in constant time) with `X-OA-User-Id`, the tenant (1–128 characters of
/// `A–Z a–z 0–9 _ - . :`); or an agent principal's key as `X-OA-Agent-Key` or `Authorization:
/// Agent <key>`, which is the tenant `agent:<agentUserId>` (see ``AgentKeys``).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = ClawContext
    let internalKey: SecretDigest
    let adminUserIDs: Set<String>
    let services: Services

    init(internalKey: String, adminUserIDs: Set<String>, services: Services) {
        self.internalKey = SecretDigest(internalKey)
        self.adminUserIDs = adminUserIDs
        self.services = services
    }

    func handle(_ request: Request, context: ClawContext, next: (Request, ClawContext) async throws -> Response) async throws -> Response {
        let agentKey = request.headers[.agentKey]
            ?? request.headers[.authorization].flatMap { $0.hasPrefix("Agent ") ? String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces) : nil }
        if let agentKey, request.headers[.internalKey] == nil {
            guard let agents = services.agentKeys else { throw APIError(.unauthorized, "invalid or revoked agent key") }
            var context = context
            context.tenant = try await agents.authenticate(agentKey, requestID: context.requestID, services: services)
            return try await next(request, context)
        }
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil }
        guard let key = request.headers[.internalKey] ?? bearer, internalKey.matches(key) else {
            throw APIError(.unauthorized, "unauthorized")
        }
        guard let user = request.headers[.userID], !user.isEmpty else {
            throw APIError.badRequest("missing user id (X-OA-User-Id)")
        }
        var context = context
        do {
            context.tenant = try TenantID(user)
        } catch {
            throw APIError.badRequest("X-OA-User-Id must be 1-128 characters of A-Z a-z 0-9 _ - . :")
        }
        context.isAdmin = adminUserIDs.contains(user)
        return try await next(request, context)
    }
}

/// Lets only callers listed in `CLAWCLOUD_ADMIN_USER_IDS` through (after ``AuthMiddleware``).
struct AdminMiddleware: RouterMiddleware {
    typealias Context = ClawContext

    func handle(_ request: Request, context: ClawContext, next: (Request, ClawContext) async throws -> Response) async throws -> Response {
        guard context.isAdmin else { throw APIError(.forbidden, "admin only") }
        return try await next(request, context)
    }
}

/// The runtime's calls into ClawCloud: `X-OpenAgents-Service-Token` (or `Authorization: Bearer`)
/// equal to `CLAWCLOUD_SERVICE_TOKEN`, and `X-OA-Instance-Id`, the tenant.
struct ServiceTokenMiddleware: RouterMiddleware {
    typealias Context = ClawContext
    let serviceToken: SecretDigest?

    init(serviceToken: String?) {
        self.serviceToken = serviceToken.map(SecretDigest.init)
    }

    func handle(_ request: Request, context: ClawContext, next: (Request, ClawContext) async throws -> Response) async throws -> Response {
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let serviceToken, let token = request.headers[.serviceToken] ?? bearer,
              serviceToken.matches(token)
        else { throw APIError(.unauthorized, "unauthorized") }
        guard let instance = request.headers[.instanceID], let tenant = try? TenantID(instance) else {
            throw APIError.badRequest("X-OA-Instance-Id must name the tenant (1-128 characters of A-Z a-z 0-9 _ - . :)")
        }
        var context = context
        context.tenant = tenant
        return try await next(request, context)
    }
}

/// The auth headers' names, made once (a name is validated and lowercased when made).
extension HTTPFields.Element.Name {
    static let internalKey = Self("X-OA-Internal-Key")!
    static let userID = Self("X-OA-User-Id")!
    static let serviceToken = Self("X-OpenAgents-Service-Token")!
    static let instanceID = Self("X-OA-Instance-Id")!
    static let agentKey = Self("X-OA-Agent-Key")!
}

/// A secret kept as its SHA-256 digest, which a given value is compared with in constant time.
struct SecretDigest: Sendable {
    private let digest: [UInt8]

    init(_ secret: String) {
        digest = Array(SHA256.hash(data: Array(secret.utf8)))
    }

    /// Whether `given` is the secret: compares the digests byte by byte without stopping early,
    /// so neither the length nor the first differing byte of `given` leaks through timing.
    func matches(_ given: String) -> Bool {
        let other = SHA256.hash(data: Array(given.utf8))
        return other.withUnsafeBytes { given in
            var difference: UInt8 = 0
            for index in 0..<digest.count { difference |= digest[index] ^ given[index] }
            return difference == 0
        }
    }
}
