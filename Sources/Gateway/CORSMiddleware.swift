import Hummingbird

/// CORS as the original API served it: every response carries the same allow-list (any origin,
/// the methods, the request headers the website's clients send, `content-type`,
/// `content-length` and `x-oa-proxy` exposed, a day's max age), and a preflight (`OPTIONS` on
/// any path) is answered 204 with them.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = ClawContext

    static let headers: HTTPFields = [
        .accessControlAllowOrigin: "*",
        .accessControlAllowMethods: "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        .accessControlAllowHeaders: "authorization, content-type, x-moltbook-api-key, x-oa-moltbook-api-key, x-api-key, x-oa-internal-key, "
            + "x-oa-user-id, x-openagents-service-token, x-oa-register-key, x-oa-agent-key, x-oa-approval-id, idempotency-key, last-event-id",
        .accessControlExposeHeaders: "content-type, content-length, x-oa-proxy",
        .accessControlMaxAge: "86400",
    ]

    func handle(_ request: Request, context: ClawContext, next: (Request, ClawContext) async throws -> Response) async throws -> Response {
        if request.method == .options { return Response(status: .noContent, headers: Self.headers) }
        var response = try await next(request, context)
        for field in Self.headers { response.headers[field.name] = field.value }
        return response
    }
}
