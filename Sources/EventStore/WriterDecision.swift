import Foundation
import GRDB

/// What ``EventStore/append(deciding:)`` appends: parts decided on the store's writer.
public struct WriterDecision: Sendable {
    /// The parts to append atomically; none when the decision changes nothing.
    public var parts: [StreamAppend]
    /// Runs on the writer right after the parts are written, with the stored events, before any
    /// other append is decided (to keep state derived from the log current).
    public var written: (@Sendable ([RecordedEvent]) -> Void)?
    /// The events of `parts` in order, as the decision made them before encoding, for the
    /// store's hook (``AppendHook/apply(_:decoded:_:)``): it need not decode their data again.
    public var decoded: [any Sendable]?

    public init(parts: [StreamAppend], decoded: [any Sendable]? = nil, written: (@Sendable ([RecordedEvent]) -> Void)? = nil) {
        self.parts = parts
        self.decoded = decoded
        self.written = written
    }
}

/// The log as a decision on the writer sees it: every append before it, acknowledged or not yet.
public struct WriterLog {
    let db: Database
    /// The versions the store's writer already knows: a stream read or written before is not
    /// queried again.
    let known: StreamVersions
    /// This decision's own view: versions read, kept current as its parts are inserted, so that
    /// checking their expected versions reads none of them again.
    private let versions = Versions()

    private final class Versions {
        var byStream: [String: Int64] = [:]
        /// The streams the decision's events advanced (told to `known` once they are written).
        var advanced: [String: Int64] = [:]
    }

    init(db: Database, known: StreamVersions) {
        self.db = db
        self.known = known
    }

    /// The current version of `stream` (0 when it has no event).
    public func version(of stream: String) throws -> Int64 {
        if let version = versions.byStream[stream] { return version }
        // A version read is the log before this decision: true whether or not its append succeeds.
        let version = try known.version(of: stream) ?? {
            let read = try EventRows.version(of: stream, db)
            known.note(stream, at: read)
            return read
        }()
        versions.byStream[stream] = version
        return version
    }

    /// Notes that the decision's events brought `stream` to `version`.
    func advance(_ stream: String, to version: Int64) {
        versions.byStream[stream] = version
        versions.advanced[stream] = version
    }

    /// Tells the writer's known versions what the decision's events advanced, once they are written.
    func publishAdvances() {
        for (stream, version) in versions.advanced { known.note(stream, at: version) }
    }

    /// The events of `stream` from `version` on, in order.
    public func stream(_ stream: String, from version: Int64) throws -> [RecordedEvent] {
        try EventRows.stream(stream, from: version, limit: .max, db)
    }

    /// The event with `id`, if it was appended.
    public func event(id: UUID) throws -> RecordedEvent? {
        try EventRows.event(id: id, db)
    }
}
