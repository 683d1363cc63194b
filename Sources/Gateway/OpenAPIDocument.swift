import Domain

/// The OpenAPI 3.1 document of the routes the server registered (so it cannot drift from them).
enum OpenAPIDocument {
    static func make(_ routes: [RouteTable.Route]) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for route in routes {
            let path = route.path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            var operation: [String: JSONValue] = [
                "summary": .string(route.summary),
                "operationId": .string("\(route.method.rawValue.lowercased())\(path.replacingOccurrences(of: "/", with: "_"))"),
                "responses": responses(route),
            ]
            var parameters: [JSONValue] = route.path.split(separator: "/").filter { $0.hasPrefix(":") }.map { name in
                ["name": .string(String(name.dropFirst())), "in": "path", "required": true, "schema": ["type": "string"]]
            }
            if route.isWrite {
                parameters.append(["name": "Idempotency-Key", "in": "header", "required": false, "schema": ["type": "string", "maxLength": 200]])
                if route.method != .delete {
                    operation["requestBody"] = ["required": false, "content": ["application/json": ["schema": ["type": "object"]]]]
                }
            }
            if route.produces == "sse" {
                parameters.append(["name": "Last-Event-ID", "in": "header", "required": false, "schema": ["type": "string"]])
                parameters.append(["name": "since", "in": "query", "required": false, "schema": ["type": "integer", "minimum": 0]])
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

    private static func responses(_ route: RouteTable.Route) -> JSONValue {
        let problem: JSONValue = ["description": "An error in the envelope", "content": ["application/problem+json": ["schema": ["$ref": "#/components/schemas/Problem"]]]]
        let success: JSONValue = switch route.produces {
        case "sse": ["description": "Server-Sent Events", "content": ["text/event-stream": ["schema": ["type": "string"]]]]
        case "text": ["description": "Prometheus text", "content": ["text/plain": ["schema": ["type": "string"]]]]
        case "json": ["description": "A JSON document", "content": ["application/json": ["schema": ["type": "object"]]]]
        default: ["description": "Success", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Envelope"]]]]
        }
        return [route.method == .post && route.isWrite ? "2XX" : "200": success, "4XX": problem, "5XX": problem]
    }

    private static func security(_ access: String) -> JSONValue {
        switch access {
        case "tenant", "admin": [["internalKey": [], "userId": []]]
        case "service": [["serviceToken": [], "instanceId": []]]
        default: []
        }
    }
}
