/// DM pairing codes of one channel (`dm-pairing-<channel>`): an unknown sender gets an 8-character
/// code valid for 1 hour; at most 3 codes are pending per channel account; approving one (behind
/// a human approval) lets the sender in.
public enum DmPairingDecider: Decider {
    public static let maxPendingPerAccount = 3

    public struct Pending: Sendable, Equatable {
        public var account: String
        public var peer: String
        public var expiresAt: Millis
    }

    public struct State: Sendable, Equatable {
        /// Pending codes (expired ones stay until their expiry is recorded).
        public var pending: [String: Pending] = [:]
        /// Codes ever issued on this channel (a code is never reused).
        public var issued: Set<String> = []
    }

    public enum Command: Sendable {
        case request(channel: String, account: String?, peer: String, requestId: String)
        /// Released from an approval.
        case approve(channel: String, code: String, notify: Bool, approvalId: String)
        case reject(channel: String, code: String)
        /// Records the expiry of every pending code past its TTL.
        case expire(channel: String)
    }

    public static let initialState = State()

    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .request(let channel, let account, let peer, let requestId):
            try checkChannel(channel)
            try Check.identifier(requestId, "requestId")
            try Check.text(peer, "peer", max: 256)
            let account = account ?? "default"
            let live = state.pending.filter { $0.value.account == account && $0.value.expiresAt > context.now }
            // The same sender asking again while its code is live gets no new code (OpenClaw sends
            // the pairing message only when a request is created).
            if live.values.contains(where: { $0.peer == peer }) { return [] }
            guard live.count < maxPendingPerAccount else {
                throw DomainError.conflict("\(channel) account \(account) already has \(maxPendingPerAccount) pending pairing codes")
            }
            var code = context.newPairingCode()
            var attempts = 1
            while !PairingCode.isValid(code) || state.issued.contains(code) {
                guard attempts < 16 else { throw DomainError.conflict("could not issue a fresh pairing code") }
                code = context.newPairingCode()
                attempts += 1
            }
            return [.dmPairingRequested(DmPairingRequested(
                channel: channel, account: account, peer: peer, requestId: requestId, code: code,
                expiresAt: context.now + Expiry.dmPairing))]
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

    private static func requireLive(_ state: State, _ channel: String, _ code: String, _ context: DecisionContext) throws {
        try checkChannel(channel)
        guard let pending = state.pending[code] else {
            throw DomainError.notFound("no pending pairing code \(code) on \(channel)")
        }
        guard pending.expiresAt > context.now else { throw DomainError.conflict("pairing code \(code) expired") }
    }

    public static func evolve(_ state: consuming State, _ event: DomainEvent) -> State {
        switch event {
        case .dmPairingRequested(let e):
            state.pending[e.code] = Pending(account: e.account, peer: e.peer, expiresAt: e.expiresAt)
            state.issued.insert(e.code)
        case .dmPairingApproved(let e): state.pending[e.code] = nil
        case .dmPairingRejected(let e): state.pending[e.code] = nil
        case .dmPairingExpired(let e): state.pending[e.code] = nil
        default: break
        }
        return state
    }
}
