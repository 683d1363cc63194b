/// Why a command was refused. Each case maps to one HTTP status at the gateway.
public enum DomainError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The command is malformed (400).
    case invalid(String)
    /// The caller may not do this (403), e.g. provisioning without access.
    case forbidden(String)
    /// What the command names does not exist (404).
    case notFound(String)
    /// The command contradicts the current state (409), e.g. granting an approval twice.
    case conflict(String)
    /// The command must be approved by a human first; the gateway holds it behind an approval.
    case approvalRequired(String)

    public var description: String {
        switch self {
        case .invalid(let message), .forbidden(let message), .notFound(let message), .conflict(let message),
             .approvalRequired(let message):
            message
        }
    }

    /// A decoding error as one line naming the field, e.g. `parts[0].type: expected a string, found null`.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "missing field \(parent.isEmpty ? "" : parent + ".")\(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let at = path(context.codingPath)
            return at.isEmpty ? context.debugDescription : "\(at): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
