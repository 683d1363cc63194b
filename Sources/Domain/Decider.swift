import Foundation

/// An aggregate's rules as two pure functions (the Decider pattern):
/// `decide(command, state) throws -> [DomainEvent]` says what happens, `evolve(state, event)`
/// says what it changes. State is the fold of the aggregate's stream; I/O (loading the stream,
/// appending the events with the stream's version as the expected version) lives at the edges.
public protocol Decider: SendableMetatype {
    associatedtype State: Sendable, Equatable
    associatedtype Command: Sendable

    static var initialState: State { get }
    static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent]
    /// Takes the state it changes (`consuming`), so a state held once is changed in place
    /// rather than copied: keeping a long stream's state current costs one step per event.
    static func evolve(_ state: consuming State, _ event: DomainEvent) -> State
}

extension Decider {
    /// The state after `events`, from the initial state.
    public static func fold<S: Sequence>(_ events: S) -> State where S.Element == DomainEvent {
        fold(events, from: initialState)
    }

    /// The state after `events`, from `state`.
    public static func fold<S: Sequence>(_ events: S, from state: consuming State) -> State where S.Element == DomainEvent {
        var state = state
        for event in events { state = evolve(consume state, event) }
        return state
    }
}

/// What a decision may depend on besides state and command: who asks, the time, and fresh ids.
/// Injected, so that deciders stay pure and tests deterministic.
public struct DecisionContext: Sendable {
    /// The acting principal (a user id, `agent:<id>`, `runtime` or `system`).
    public var actor: String
    /// The tenant the command is for (object keys are scoped to it).
    public var tenant: String
    /// Now, in ms since 1970 UTC.
    public var now: Millis
    /// A fresh unique id.
    public var newID: @Sendable () -> String

    public init(
        actor: String, tenant: String, now: Millis,
        newID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.actor = actor
        self.tenant = tenant
        self.now = now
        self.newID = newID
    }
}

/// Time-to-live rules, as OpenClaw and the plan set them.
public enum Expiry {
    /// Device pairing requests: 5 minutes.
    public static let devicePairing: Millis = 5 * 60 * 1000
    /// DM pairing codes: 1 hour.
    public static let dmPairing: Millis = 60 * 60 * 1000
    /// Exec approvals: 30 minutes unless the runtime says otherwise.
    public static let execApproval: Millis = 30 * 60 * 1000
    /// Held commands: 24 hours.
    public static let approval: Millis = 24 * 60 * 60 * 1000
}

/// Input checks shared by deciders.
enum Check {
    static func text(_ value: String, _ field: String, max: Int = 200) throws {
        guard value.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else { throw DomainError.invalid("\(field) must not be empty") }
        // Counting characters walks grapheme clusters: only needed when the bytes alone could exceed `max`.
        guard value.utf8.count <= max || value.count <= max else { throw DomainError.invalid("\(field) is longer than \(max) characters") }
    }

    static func identifier(_ value: String, _ field: String) throws {
        guard (1...128).contains(value.utf8.count),
              value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "\\") })
        else { throw DomainError.invalid("\(field) must be 1-128 printable ASCII characters without spaces or slashes") }
    }

    static func positive(_ amount: Micros, _ field: String) throws {
        guard amount > 0 else { throw DomainError.invalid("\(field) must be greater than zero") }
    }
}
