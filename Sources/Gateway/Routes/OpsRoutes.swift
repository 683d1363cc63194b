import Domain
import Hummingbird
import NIOCore

/// `/api/health`, `/api/metrics` (Prometheus text) and `/api/openapi.json`: no credentials.
extension API {
    func addOpsRoutes() {
        let services = services
        route(.get, "health", "Liveness: {status: \"ok\", service: \"clawcloud\"}.") { _, _ in
            Envelope.ok(["status": "ok", "service": "clawcloud"])
        }

        route(.get, "metrics", "Prometheus metrics: requests, latencies, appends, stream subscribers, outbox depth, commit journal.", produces: "text") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: services.metrics.render(journal: services.stores.journal.statistics))))
        }

        route(.get, "openapi.json", "This API as an OpenAPI 3.1 document.", produces: "json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONWriter.data(OpenAPIDocument.make(services.routes.all)))))
        }
    }
}
