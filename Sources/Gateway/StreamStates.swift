import Domain

/// A stream a command decides on, and the decider whose state of it the command needs.
struct StreamRead: Sendable {
    let stream: String
    let decider: ObjectIdentifier
    /// The decider's initial state, at version 0.
    let initial: any FoldedStream

    /// `stream`, folded by `decider`.
    static func stream<D: Decider>(_ stream: String, as decider: D.Type) -> StreamRead {
        StreamRead(stream: stream, decider: ObjectIdentifier(D.self), initial: Folded<D>(state: D.initialState, version: 0))
    }
}

/// The states a command decides with: each stream it read, folded by its decider.
struct StreamStates {
    let folds: [String: any FoldedStream]

    /// The state of `stream`, which the command read `as` this decider.
    subscript<D: Decider>(_ stream: String, as decider: D.Type) -> D.State {
        guard let fold = folds[stream] else { preconditionFailure("\(stream) was not read") }
        return fold.state(as: decider)
    }
}

/// A decider's state of one stream at one stream version; type-erased, so that streams of
/// every decider share one ``StreamCache``.
protocol FoldedStream: Sendable {
    var version: Int64 { get }
    /// Applies `events`, the first at stream version `version + 1`.
    mutating func evolve(by events: [DomainEvent])
}

extension FoldedStream {
    /// The state, which must be `decider`'s.
    func state<D: Decider>(as decider: D.Type) -> D.State {
        guard let folded = self as? Folded<D> else { preconditionFailure("a state of \(type(of: self)) read as \(D.self)") }
        return folded.state
    }
}

struct Folded<D: Decider>: FoldedStream {
    var state: D.State
    var version: Int64

    mutating func evolve(by events: [DomainEvent]) {
        // Take the state out of `self` first, so that a state held once is changed in place.
        var taken = D.initialState
        swap(&taken, &state)
        state = D.fold(events, from: consume taken)
        version += Int64(events.count)
    }
}
