/// Platform facts about who may use OpenClaw Cloud (kept in the platform store).

public enum PrincipalKind: String, Codable, Sendable { case human, agent }

public struct UserRegistered: EventPayload {
    public static let type = "user.registered"
    public let userId: String
    public let kind: PrincipalKind
    public let email: String?
    public let name: String?
    public var stream: String { Streams.access(userId) }
}

public struct AccessEnabled: EventPayload {
    public static let type = "access.enabled"
    public let userId: String
    public let by: String
    public var stream: String { Streams.access(userId) }
}

public struct AccessDisabled: EventPayload {
    public static let type = "access.disabled"
    public let userId: String
    public let by: String
    public var stream: String { Streams.access(userId) }
}

public struct WaitlistJoined: EventPayload {
    public static let type = "waitlist.joined"
    public let email: String
    public let source: String
    public var stream: String { Streams.waitlist(email) }
}

public struct WaitlistApproved: EventPayload {
    public static let type = "waitlist.approved"
    public let email: String
    public let by: String
    public var stream: String { Streams.waitlist(email) }
}

public struct WaitlistRevoked: EventPayload {
    public static let type = "waitlist.revoked"
    public let email: String
    public let by: String
    public var stream: String { Streams.waitlist(email) }
}
