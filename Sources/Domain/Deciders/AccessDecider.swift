/// Who may use OpenClaw Cloud: a user's access flag (`access-<user>`) and waitlist entries
/// (`waitlist-<email>`), in the platform store. One decider serves both streams; a command
/// names the stream it works on.
public enum AccessDecider: Decider {
    public struct State: Sendable, Equatable {
        public var registered = false
        public var kind: PrincipalKind?
        public var email: String?
        public var accessEnabled = false
        public var joined = false
        public var waitlistApproved = false
    }

    public enum Command: Sendable {
        case register(userId: String, kind: PrincipalKind, email: String?, name: String?)
        case setAccess(userId: String, enabled: Bool)
        case joinWaitlist(email: String, source: String?)
        case setWaitlistApproval(email: String, approved: Bool)
    }

    public static let initialState = State()

    /// Emails are compared lowercased and trimmed, as the website's waitlist does; at most 254
    /// characters (Unicode scalars) as sent.
    public static func normalizedEmail(_ email: String) throws -> String {
        let normalized = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = normalized.split(separator: "@", omittingEmptySubsequences: false)
        guard email.unicodeScalars.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !normalized.contains(where: { $0.isWhitespace || $0 == "/" }),
              !normalized.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw DomainError.invalid("email is not a valid address") }
        return normalized
    }

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .register(let userId, let kind, let email, let name):
            try Check.identifier(userId, "userId")
            if state.registered { return [] }
            return [.userRegistered(UserRegistered(userId: userId, kind: kind, email: try email.map(normalizedEmail), name: name))]
        case .setAccess(let userId, let enabled):
            try Check.identifier(userId, "userId")
            if state.accessEnabled == enabled { return [] }
            return enabled
                ? [.accessEnabled(AccessEnabled(userId: userId, by: context.actor))]
                : [.accessDisabled(AccessDisabled(userId: userId, by: context.actor))]
        case .joinWaitlist(let email, let source):
            let email = try normalizedEmail(email)
            let source = source ?? "hatchery"
            try Check.text(source, "source", max: 64)
            if state.joined { return [] }
            return [.waitlistJoined(WaitlistJoined(email: email, source: source))]
        case .setWaitlistApproval(let email, let approved):
            let email = try normalizedEmail(email)
            guard state.joined else { throw DomainError.notFound("\(email) is not on the waitlist") }
            if state.waitlistApproved == approved { return [] }
            return approved
                ? [.waitlistApproved(WaitlistApproved(email: email, by: context.actor))]
                : [.waitlistRevoked(WaitlistRevoked(email: email, by: context.actor))]
        }
    }

    public static func evolve(_ state: consuming State, _ event: DomainEvent) -> State {
        switch event {
        case .userRegistered(let e): state.registered = true; state.kind = e.kind; state.email = e.email
        case .accessEnabled: state.accessEnabled = true
        case .accessDisabled: state.accessEnabled = false
        case .waitlistJoined(let e): state.joined = true; state.email = e.email
        case .waitlistApproved: state.waitlistApproved = true
        case .waitlistRevoked: state.waitlistApproved = false
        default: break
        }
        return state
    }
}

/// Whether a user may use OpenClaw Cloud: their own flag, or an approved waitlist entry for
/// their email (the website's `access.getStatus`).
public struct AccessStatus: Sendable, Equatable, Codable {
    public var userAccess: Bool
    public var waitlistApproved: Bool
    public var allowed: Bool { userAccess || waitlistApproved }

    public init(userAccess: Bool, waitlistApproved: Bool) {
        self.userAccess = userAccess
        self.waitlistApproved = waitlistApproved
    }
}
