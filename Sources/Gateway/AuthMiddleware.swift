import Crypto
import EventStore
import Foundation
import Hummingbird

/// Server-to-server auth of the website's calls: `X-OA-Internal-Key` (compared in constant
/// time) and `X-OA-User-Id`, the tenant (1–128 characters of `A–Z a–z 0–9 _ - . :`).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = ClawContext
    let internalKey: String
    let adminUserIDs: Set<String>

    func handle(_ request: Request, context: ClawContext, next: (Request, ClawContext) async throws -> Response) async throws -> Response {
        guard let key = request.headers[.init("X-OA-Internal-Key")!], Secret.equal(key, internalKey) else {
            throw APIError(.unauthorized, "unauthorized")
        }
        guard let user = request.headers[.init("X-OA-User-Id")!], !user.isEmpty else {
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
    let serviceToken: String?

    func handle(_ request: Request, context: ClawContext, next: (Request, ClawContext) async throws -> Response) async throws -> Response {
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let serviceToken, let token = request.headers[.init("X-OpenAgents-Service-Token")!] ?? bearer,
              Secret.equal(token, serviceToken)
        else { throw APIError(.unauthorized, "unauthorized") }
        guard let instance = request.headers[.init("X-OA-Instance-Id")!], let tenant = try? TenantID(instance) else {
            throw APIError.badRequest("X-OA-Instance-Id must name the tenant (1-128 characters of A-Z a-z 0-9 _ - . :)")
        }
        var context = context
        context.tenant = tenant
        return try await next(request, context)
    }
}

/// Secret comparisons that take the same time whatever the input.
enum Secret {
    /// Compares SHA-256 digests byte by byte without stopping early, so neither the length nor
    /// the first differing byte of `given` leaks through timing.
    static func equal(_ given: String, _ expected: String) -> Bool {
        let a = Array(SHA256.hash(data: Data(given.utf8)))
        let b = Array(SHA256.hash(data: Data(expected.utf8)))
        var difference: UInt8 = 0
        for index in 0..<a.count { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
