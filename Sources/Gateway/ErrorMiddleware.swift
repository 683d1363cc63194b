import Hummingbird
import Logging

/// Turns every error a route throws into the envelope (see ``APIError``; `application/json`,
/// or `application/problem+json` when `Accept` asks for it), answers an unknown route with 404
/// and a known path with the wrong method with 405, and logs one structured line per request
/// (method, route, status, duration, request id — never headers or bodies).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = ClawContext
    let routes: RouteTable
    let metrics: Metrics

    func handle(_ request: Request, context: ClawContext, next: (Request, ClawContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            var failure = APIError(error)
            if failure.status == .notFound, failure.message == "no such route" {
                let allowed = routes.methods(matching: request.uri.path)
                if !allowed.isEmpty, !allowed.contains(request.method) {
                    failure = APIError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path)")
                    failure.headers = [.allow: allowed.map(\.rawValue).sorted().joined(separator: ", ")]
                }
            }
            if failure.status.code >= 500 {
                context.logger.error("request failed", metadata: ["request_id": "\(context.requestID)", "error": "\(String(reflecting: type(of: error)))"])
            }
            response = Envelope.error(failure, problem: request.headers[.accept]?.contains("application/problem+json") == true)
        }
        response.headers[.init("X-Request-Id")!] = context.requestID
        let elapsed = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(method: request.method.rawValue, route: route, status: response.status.code, duration: elapsed)
        context.logger.info("request", metadata: [
            "request_id": "\(context.requestID)", "method": "\(request.method)", "route": "\(route)",
            "status": "\(response.status.code)", "ms": "\(elapsed.milliseconds)",
        ])
        return response
    }
}

extension Duration {
    /// Whole and fractional milliseconds, for logs and metrics.
    var milliseconds: Double {
        Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15
    }
}
