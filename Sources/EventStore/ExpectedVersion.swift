/// The condition an append places on a stream's current version (its last event's `streamVersion`,
/// or 0 when the stream has no event).
public enum ExpectedVersion: Sendable, Hashable, CustomStringConvertible {
    /// No condition.
    case any
    /// The stream must have no event yet.
    case noStream
    /// The stream must have at least one event.
    case exists
    /// The stream's current version must be exactly this (0 means "no event yet").
    case exact(Int64)

    func admits(_ current: Int64) -> Bool {
        switch self {
        case .any: true
        case .noStream: current == 0
        case .exists: current > 0
        case .exact(let version): current == version
        }
    }

    public var description: String {
        switch self {
        case .any: "any"
        case .noStream: "no stream"
        case .exists: "stream exists"
        case .exact(let version): "version \(version)"
        }
    }
}
