import Domain

/// What a route accepts besides its credentials — path parameters, query parameters and body —
/// as JSON Schemas for `/openapi.json`. Each schema states the check the route (or its decider)
/// applies, so that a request the document calls valid is one the server takes, and the other way
/// round; where a check cannot be said in JSON Schema (lengths counted in bytes or in
/// characters), the schema is the stricter.
struct RequestShape: Sendable {
    /// Schemas of path parameters other than the default (``Schema/pathParameter``).
    var path: [String: JSONValue] = [:]
    /// Query parameters, by name, and those that must be given.
    var query: [String: JSONValue] = [:]
    var requiredQuery: Set<String> = []
    /// Headers, by name.
    var headers: [String: JSONValue] = [:]
    /// The body's schema, and whether a body is required (gated routes take an optional one).
    var body: (schema: JSONValue, required: Bool)?

    init(path: [String: JSONValue] = [:], query: [String: JSONValue] = [:], requiredQuery: Set<String> = [], headers: [String: JSONValue] = [:],
         body: JSONValue? = nil, bodyRequired: Bool = true) {
        self.path = path
        self.query = query
        self.requiredQuery = requiredQuery
        self.headers = headers
        self.body = body.map { ($0, bodyRequired) }
    }

    /// A gated route's optional body: the approval a retry names (or `X-OA-Approval-Id`), and
    /// `extra` members.
    static func gated(_ extra: [String: JSONValue] = [:], required: [String] = [], path: [String: JSONValue] = [:]) -> RequestShape {
        RequestShape(path: path, headers: ["X-OA-Approval-Id": Schema.approvalId],
                     body: Schema.object(extra.merging(["approvalId": Schema.approvalId]) { mine, _ in mine }, required: required),
                     bodyRequired: !required.isEmpty)
    }
}

/// JSON Schemas of the values routes take, one per check.
enum Schema {
    /// An object with `properties`, of which `required` must be present; the others may also
    /// be null, which the server reads as absent.
    static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        let members = properties.reduce(into: [String: JSONValue]()) { members, member in
            members[member.key] = required.contains(member.key) ? member.value : ["anyOf": [member.value, ["type": "null"]]]
        }
        var object: [String: JSONValue] = ["type": "object", "properties": .object(members)]
        if !required.isEmpty { object["required"] = .array(required.map { .string($0) }) }
        return .object(object)
    }

    /// One of `values`.
    static func choice(_ values: [String]) -> JSONValue {
        ["type": "string", "enum": .array(values.map { .string($0) })]
    }

    /// An integer in `range`.
    static func integer(_ range: ClosedRange<Int64>) -> JSONValue {
        ["type": "integer", "minimum": .integer(range.lowerBound), "maximum": .integer(range.upperBound)]
    }

    static let boolean: JSONValue = ["type": "boolean"]
    static let string: JSONValue = ["type": "string"]
    /// `true` or `false` spelled in a query string.
    static let booleanText = choice(["true", "false"])

    /// A path parameter (``ClawContext/pathParameter(_:)``): 1–256 bytes without control
    /// characters, slashes or backslashes, once percent-decoded (here at most 64 characters,
    /// which fit in 256 bytes, and no `%`, which a client must send encoded).
    static let pathParameter: JSONValue = ["type": "string", "minLength": 1, "maxLength": 64, "pattern": #"^[^\x00-\x1F\x7F/\\%]+$"#]

    /// An identifier a client chooses (`Check.identifier`): 1–128 printable ASCII characters
    /// without spaces, slashes or backslashes.
    static let identifier: JSONValue = ["type": "string", "pattern": #"^[\x21-\x2E\x30-\x5B\x5D-\x7E]{1,128}$"#]

    /// A tenant id (`TenantID`): 1–128 of `A–Z a–z 0–9 _ - . :`.
    static let tenantID: JSONValue = ["type": "string", "pattern": #"^[A-Za-z0-9_.:-]{1,128}$"#]

    /// Text shown to people (`Check.text`): not blank, at most `max` characters.
    static func text(max: Int = 200) -> JSONValue {
        ["type": "string", "maxLength": .integer(Int64(max)), "pattern": #"[^\s]"#]
    }

    /// An email as the waitlist takes it (`AccessDecider.normalizedEmail`): spaces around it are
    /// trimmed; then one `@`, a dot after it, no spaces, slashes or control characters, at most
    /// 254 characters.
    static let email: JSONValue = ["type": "string", "maxLength": 254,
                                   "pattern": #"^\s*[^\s/@\x00-\x1F\x7F-\x9F]+@[^\s/@\x00-\x1F\x7F-\x9F]*\.[^\s/@\x00-\x1F\x7F-\x9F]*\s*$"#]

    /// An email as a path parameter: no `%`, backslash or control character either (see
    /// ``pathParameter``), and at most 64 characters.
    static let emailInPath: JSONValue = ["type": "string", "maxLength": 64,
                                         "pattern": #"^ *[^\s/@\x00-\x1F\x7F-\x9F%\\]+@[^\s/@\x00-\x1F\x7F-\x9F%\\]*\.[^\s/@\x00-\x1F\x7F-\x9F%\\]*$"#]

    /// A DM pairing channel (`DmPairingDecider.checkChannel`).
    static let channel: JSONValue = ["type": "string", "pattern": "^[a-z0-9-]{1,64}$"]

    /// An OpenClaw session key (`SessionDecider.checkKey`): 1–256 printable ASCII characters
    /// without spaces or slashes.
    static let sessionKey: JSONValue = ["type": "string", "pattern": #"^[\x21-\x2E\x30-\x7E]{1,256}$"#]

    /// A session key as a path parameter: no backslash or `%` either (see ``pathParameter``).
    static let sessionKeyInPath: JSONValue = ["type": "string", "pattern": #"^[\x21-\x24\x26-\x2E\x30-\x5B\x5D-\x7E]{1,256}$"#]

    /// An identifier as a path parameter: no `%` either (see ``pathParameter``).
    static let identifierInPath: JSONValue = ["type": "string", "pattern": #"^[\x21-\x24\x26-\x2E\x30-\x5B\x5D-\x7E]{1,128}$"#]

    /// The approval a gated call's retry names: 1–128 bytes.
    static let approvalId: JSONValue = ["type": "string", "minLength": 1, "maxLength": 32]
}
