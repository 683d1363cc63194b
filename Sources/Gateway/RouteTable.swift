import Domain
import Hummingbird
import Synchronization

/// Every route the server answers: method, path pattern (`/api/threads/:id`) and a summary.
/// Used to answer 405 for a known path with the wrong method, and to write `/openapi.json`.
public final class RouteTable: Sendable {
    public struct Route: Sendable {
        public let method: HTTPRequest.Method
        public let path: String
        public let summary: String
        /// `tenant`, `admin`, `service` or `public`: which credentials the route needs.
        public let access: String
        /// Whether the route changes state (accepts `Idempotency-Key`, answers a `position`).
        public let isWrite: Bool
        /// What the response body is: `envelope`, `sse`, `chat` (SSE or one JSON document), `json` or `text`.
        public let produces: String
        /// What it accepts: parameters and body, for the OpenAPI document.
        let shape: RequestShape
        /// The schema of `data` in its success answers, where the document states it (``ResponseShape``).
        var data: JSONValue? = nil
    }

    private let routes = Mutex<[Route]>([])

    public init() {}

    func add(_ route: Route) {
        routes.withLock { $0.append(route) }
    }

    public var all: [Route] { routes.withLock { $0 } }

    /// The methods registered for paths that `path` matches.
    func methods(matching path: String) -> Set<HTTPRequest.Method> {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return Set(all.filter { route in
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: true)
            return pattern.count == segments.count && zip(pattern, segments).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
        }.map(\.method))
    }
}
