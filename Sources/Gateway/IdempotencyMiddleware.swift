import Crypto
import EventStore
import Hummingbird
import Synchronization

/// Checks the `Idempotency-Key` of every write (400 when malformed), and gives a write that
/// carries one the digest of its body
/// (``ClawContext/bodyDigest``), so that a retry can be told from another request under the same
/// key: the first request's events record the digest, and a later request with that key and
/// another body is refused (409) rather than answered with the first one's result. The body is
/// read here, up to `limit` (the largest a route takes; each route still applies its own), and
/// handed on as read.
///
/// A response to a retry (a command answered from the first request's events) carries
/// `Idempotent-Replayed: true`: the commands mark ``replay`` as they answer.
struct IdempotencyMiddleware: RouterMiddleware {
    let limit: Int

    /// Set while a write that carries a key is handled.
    @TaskLocal static var replay: ReplayMark?

    /// Marked when a command of the request was answered from an earlier one's events.
    final class ReplayMark: Sendable {
        private let marked = Mutex(false)
        func mark() { marked.withLock { $0 = true } }
        var isMarked: Bool { marked.withLock { $0 } }
    }

    func handle(_ request: Request, context: ClawContext, next: (Request, ClawContext) async throws -> Response) async throws -> Response {
        // The key is checked on every write, also on routes that do not replay (`Request.idempotencyKey()`).
        guard request.method != .get, request.method != .head, try request.idempotencyKey() != nil else {
            return try await next(request, context)
        }
        var request = request
        var context = context
        let body = try await request.collectBody(limit: limit)
        context.bodyDigest = body.withUnsafeReadableBytes { SHA256.hash(data: $0) }.hexString
        request.body = RequestBody(buffer: body)
        let replay = ReplayMark()
        var response = try await Self.$replay.withValue(replay) { try await next(request, context) }
        if replay.isMarked { response.headers[.init("Idempotent-Replayed")!] = "true" }
        return response
    }
}
