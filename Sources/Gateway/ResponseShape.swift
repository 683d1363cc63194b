import Domain

/// What a route's success answers hold in `data`, for the OpenAPI document: the original API's
/// shapes on its routes (exactly their members), so that the document itself states the contract
/// the website's clients rely on.
enum ResponseShape {
    static func object(_ properties: [String: JSONValue], optional: Set<String> = []) -> JSONValue {
        ["type": "object", "properties": .object(properties), "required": .array(properties.keys.filter { !optional.contains($0) }.sorted().map(JSONValue.string)),
         "additionalProperties": false]
    }

    static let string: JSONValue = ["type": "string"]
    static let nullableString: JSONValue = ["type": ["string", "null"]]
    static let integer: JSONValue = ["type": "integer"]
    static let nullableInteger: JSONValue = ["type": ["integer", "null"]]
    static let boolean: JSONValue = ["type": "boolean"]
    /// What the runtime answers, passed on as it is.
    static let opaque: JSONValue = [:]

    /// `InstanceSummary` (the original `http.rs`).
    static let instanceSummary = object(["status": string, "runtime_name": nullableString, "created_at": integer, "updated_at": integer,
                                         "last_ready_at": nullableInteger])
    static let instanceOrNull: JSONValue = ["oneOf": [instanceSummary, ["type": "null"]]]

    /// The tool gate's answer: `{status, approvalId, summary, toolName, toolInput}`.
    static let gate = object(["status": ["enum": ["approval_required", "approval_pending", "approval_rejected"]], "approvalId": string, "summary": string,
                              "toolName": string, "toolInput": ["type": "object"]])
    /// A runtime side effect still under way.
    static let inProgress = object(["status": ["const": "in_progress"], "effectId": string])

    /// A gated route's `data`: its result, the gate's answer, or an effect under way.
    static func gated(_ result: JSONValue) -> JSONValue { ["oneOf": [result, gate, inProgress]] }
}
