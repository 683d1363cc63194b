import Domain

/// The OpenAPI 3.1 document of the routes the server registered (so it cannot drift from them).
enum OpenAPIDocument {
    static func make(_ routes: [RouteTable.Route]) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for route in routes {
            let path = "/" + route.path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            var operation: [String: JSONValue] = [
                "summary": .string(route.summary),
                "operationId": .string("\(route.method.rawValue.lowercased())\(path.replacingOccurrences(of: "/", with: "_"))"),
                "responses": responses(route),
            ]
            let shape = route.shape
            var parameters: [JSONValue] = route.path.split(separator: "/").filter { $0.hasPrefix(":") }.map { name in
                let name = String(name.dropFirst())
                return ["name": .string(name), "in": "path", "required": true, "schema": shape.path[name] ?? Schema.pathParameter]
            }
            for (name, schema) in shape.query.sorted(by: { $0.key < $1.key }) {
                parameters.append(["name": .string(name), "in": "query", "required": .bool(shape.requiredQuery.contains(name)), "schema": schema])
            }
            for (name, schema) in shape.headers.sorted(by: { $0.key < $1.key }) {
                parameters.append(["name": .string(name), "in": "header", "required": false, "schema": schema])
            }
            if route.isWrite {
                // 1–200 printable ASCII characters (`Request.idempotencyKey()`).
                parameters.append(["name": "Idempotency-Key", "in": "header", "required": false,
                                   "schema": ["type": "string", "pattern": #"^[\x21-\x7E]{1,200}$"#]])
            }
            if let body = shape.body {
                operation["requestBody"] = ["required": .bool(body.required), "content": ["application/json": ["schema": body.schema]]]
            }
            if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
            operation["security"] = security(route.access)
            var item = paths[path]?.objectValue ?? [:]
            item[route.method.rawValue.lowercased()] = .object(operation)
            paths[path] = .object(item)
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "ClawCloud", "version": "1", "description": "The control plane behind OpenClaw Cloud."],
            "paths": .object(paths),
            "components": [
                "securitySchemes": [
                    "internalKey": ["type": "apiKey", "in": "header", "name": "X-OA-Internal-Key"],
                    "userId": ["type": "apiKey", "in": "header", "name": "X-OA-User-Id"],
                    "serviceToken": ["type": "apiKey", "in": "header", "name": "X-OpenAgents-Service-Token"],
                    "instanceId": ["type": "apiKey", "in": "header", "name": "X-OA-Instance-Id"],
                ],
                "schemas": [
                    "Envelope": [
                        "type": "object", "required": ["ok", "data", "error"],
                        "properties": ["ok": ["type": "boolean"], "data": [:], "error": ["type": ["string", "null"]],
                                       "position": ["type": "integer", "description": "The tenant's log position after a write."]],
                    ],
                    "Problem": [
                        "type": "object", "required": ["ok", "data", "error", "code"],
                        "properties": ["ok": ["const": false], "data": ["type": "null"], "error": ["type": "string"],
                                       "code": ["type": "string"], "status": ["type": "integer"], "title": ["type": "string"],
                                       "detail": ["type": "string"], "type": ["type": "string"]],
                    ],
                ],
            ],
        ]
    }

    private static let events = Schema.object(["id": Schema.string, "event": Schema.string, "data": Schema.string, "retry": ["type": "integer"]])

    private static func responses(_ route: RouteTable.Route) -> JSONValue {
        let problem: JSONValue = ["description": "An error in the envelope (application/problem+json when Accept asks for it)", "content": [
            "application/json": ["schema": ["$ref": "#/components/schemas/Problem"]],
            "application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]],
        ]]
        let success: JSONValue = switch route.produces {
        case "sse": ["description": "Server-Sent Events", "content": ["text/event-stream": ["schema": events]]]
        case "chat": ["description": "Server-Sent Events with stream:true; one OpenResponses JSON response otherwise", "content": [
            "text/event-stream": ["schema": events], "application/json": ["schema": ["type": "object"]],
        ]]
        case "text": ["description": "Prometheus text", "content": ["text/plain": ["schema": ["type": "string"]]]]
        case "json": ["description": "A JSON document", "content": ["application/json": ["schema": ["type": "object"]]]]
        default:
            if let data = route.data {
                ["description": "Success", "content": ["application/json": ["schema": ["allOf": [["$ref": "#/components/schemas/Envelope"],
                                                                                                  ["properties": ["data": data]]]]]]]
            } else {
                ["description": "Success", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Envelope"]]]]
            }
        }
        return [route.isWrite ? "2XX" : "200": success, "4XX": problem, "5XX": problem]
    }

    private static func security(_ access: String) -> JSONValue {
        switch access {
        case "tenant", "admin": [["internalKey": [], "userId": []]]
        case "service": [["serviceToken": [], "instanceId": []]]
        default: []
        }
    }
}
