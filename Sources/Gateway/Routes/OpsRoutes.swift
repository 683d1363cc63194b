import Domain
import Hummingbird
import NIOCore

/// `/api/health`, `/api/openclaw` (the route index), `/api/metrics` (Prometheus text) and
/// `/api/openapi.json`: no credentials.
extension API {
    /// The original API's index keys and the paths they name, under `/api/openclaw/`.
    static let openClawIndex = [
        "instance": "instance", "principal": "principal", "runtime_status": "runtime/status", "runtime_devices": "runtime/devices",
        "runtime_backup": "runtime/backup", "runtime_restart": "runtime/restart", "instance_delete": "instance", "tools_invoke": "tools/invoke",
        "sessions": "sessions", "sessions_history": "sessions/:key/history", "sessions_send": "sessions/:key/send", "chat": "chat",
        "billing_summary": "billing/summary",
    ]

    func addOpsRoutes() {
        let services = services
        route(.get, "health", "Liveness: {status: \"ok\", service: \"clawcloud\"}.") { _, _ in
            Envelope.ok(["status": "ok", "service": "clawcloud"])
        }

        route(.get, "openclaw", "The index of the OpenClaw routes, as the original API served it: {instance, principal, …} → path.",
              answers: ["type": "object", "additionalProperties": ResponseShape.string]) { _, _ in
            Envelope.ok(.object(Self.openClawIndex.mapValues { .string("/api/openclaw/\($0)") }))
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
