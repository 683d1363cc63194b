/// DM pairing codes of one channel (`dm-pairing-<channel>`), as the gateway holds them: the
/// gateway mints an 8-character code for an unknown sender, keeps it for an hour, and lets the
/// sender in once the code is approved. ClawCloud observes the codes (``Command/observe(channel:requests:complete:)``)
/// and approves them (behind a human approval); it never makes one up.
public enum DmPairingDecider: Decider {
    public struct Pending: Sendable, Equatable {
        public var account: String
        public var peer: String
        public var expiresAt: Millis
    }

    public struct State: Sendable, Equatable {
        /// Pending codes (expired ones stay until their expiry is recorded).
        public var pending: [String: Pending] = [:]
    }

    public enum Command: Sendable {
        /// The runtime's pending requests of the channel. With `complete`, the list is the whole
        /// of them: a code ClawCloud holds pending that is no longer listed has expired.
        case observe(channel: String, requests: [ObservedPairingRequest], complete: Bool)
        /// Released from an approval.
        case approve(channel: String, code: String, notify: Bool, approvalId: String)
        case reject(channel: String, code: String)
        /// Records the expiry of every pending code past its TTL.
        case expire(channel: String)
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .observe(let channel, let requests, let complete):
            try checkChannel(channel)
            var events: [DomainEvent] = []
            for request in requests where state.pending[request.code] == nil {
                try checkCode(request.code)
                try Check.text(request.sender, "sender", max: 256)
                try Check.identifier(request.account, "account")
                events.append(.dmPairingRequested(DmPairingRequested(
                    channel: channel, account: request.account, peer: request.sender, requestId: request.sender, code: request.code,
                    expiresAt: request.createdAt + Expiry.dmPairing)))
            }
            if complete {
                let listed = Set(requests.map(\.code))
                events += state.pending.keys.filter { !listed.contains($0) }.sorted().map { .dmPairingExpired(DmPairingExpired(channel: channel, code: $0)) }
            }
            return events
        case .approve(let channel, let code, let notify, let approvalId):
            try requireLive(state, channel, code, context)
            return [.dmPairingApproved(DmPairingApproved(channel: channel, code: code, notify: notify, by: context.actor, approvalId: approvalId))]
        case .reject(let channel, let code):
            try requireLive(state, channel, code, context)
            return [.dmPairingRejected(DmPairingRejected(channel: channel, code: code, by: context.actor))]
        case .expire(let channel):
            return state.pending.filter { $0.value.expiresAt <= context.now }.keys.sorted()
                .map { .dmPairingExpired(DmPairingExpired(channel: channel, code: $0)) }
        }
    }

    /// Channel names as OpenClaw uses them: lowercase letters, digits and `-`.
    public static func checkChannel(_ channel: String) throws {
        guard (1...64).contains(channel.utf8.count),
              channel.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") })
        else { throw DomainError.invalid("channel must be 1-64 characters of a-z, 0-9 and -") }
    }

    /// A pairing code as the gateway makes them (8 characters of `A–Z 2–9` today): 1–32 letters and digits.
    public static func checkCode(_ code: String) throws {
        guard (1...32).contains(code.utf8.count), code.utf8.allSatisfy({ (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) }) else {
            throw DomainError.invalid("code must be 1-32 characters of A-Z and 0-9")
        }
    }

    /// Whether `code` is pending on the channel as far as the log knows.
    public static func isPending(_ state: State, code: String) -> Bool { state.pending[code] != nil }

    private static func requireLive(_ state: State, _ channel: String, _ code: String, _ context: DecisionContext) throws {
        try checkChannel(channel)
        guard let pending = state.pending[code] else {
            throw DomainError.notFound("no pending pairing code \(code) on \(channel)")
        }
        guard pending.expiresAt > context.now else { throw DomainError.conflict("pairing code \(code) expired") }
    }

    public static func evolve(_ state: consuming State, _ event: DomainEvent) -> State {
        switch event {
        case .dmPairingRequested(let e): state.pending[e.code] = Pending(account: e.account, peer: e.peer, expiresAt: e.expiresAt)
        case .dmPairingApproved(let e): state.pending[e.code] = nil
        case .dmPairingRejected(let e): state.pending[e.code] = nil
        case .dmPairingExpired(let e): state.pending[e.code] = nil
        default: break
        }
        return state
    }
}
