/// Who and what caused an event. Stored beside the payload; not part of idempotency comparisons,
/// so a retry that carries a new request id still counts as the same append.
public struct EventMetadata: Codable, Sendable, Hashable {
    /// The principal that acted (a user id, `system`, `runtime`, an admin id).
    public var actor: String?
    /// The command that produced the event.
    public var commandID: String?
    /// Groups every event of one user-visible operation.
    public var correlationID: String?
    /// The event or command that directly caused this one.
    public var causationID: String?
    /// The HTTP request that carried the command.
    public var requestID: String?

    public init(actor: String? = nil, commandID: String? = nil, correlationID: String? = nil,
                causationID: String? = nil, requestID: String? = nil) {
        self.actor = actor
        self.commandID = commandID
        self.correlationID = correlationID
        self.causationID = causationID
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case actor
        case commandID = "command_id"
        case correlationID = "correlation_id"
        case causationID = "causation_id"
        case requestID = "request_id"
    }
}
