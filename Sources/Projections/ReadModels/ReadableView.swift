import GRDB

/// The views the API serves as pages, by what they hold, so that routes name none of the
/// projections' collections.
public enum ReadableView: String, Sendable, CaseIterable {
    /// Chat runs (scope: status running/completed/incomplete/failed; by start time), with their cost.
    case runs
    /// A receipt per tool call (scope: status invoked/completed/failed/unknown; by invocation time).
    case toolCalls
    /// Sessions as observed (by last activity), with their tokens.
    case sessions
    /// Device pairing requests and paired devices (scope: status; by request time).
    case devices
    /// DM pairing codes (scope: channel; by creation time).
    case dmPairing
    /// Backups (scope: status requested/taken/failed; by request time).
    case backups
    /// Credits granted, spent and refunded per UTC day (by day).
    case dailyCredits
    /// Runtime side effects (scope: pending or done; by request position).
    case outbox

    var location: (projection: String, collection: String) {
        switch self {
        case .runs: ("sessions", "runs")
        case .toolCalls: ("sessions", "tools")
        case .sessions: ("sessions", "sessions")
        case .devices: ("devices", "devices")
        case .dmPairing: ("devices", "dm_pairing")
        case .backups: ("instance", "backups")
        case .dailyCredits: ("billing", "daily")
        case .outbox: ("outbox", "effects")
        }
    }
}

extension Projector {
    /// A page of `view`, newest first: rows of `scope` (all when nil) whose cursor is below
    /// `before`; each row with its `cursor` (a time in ms, a position or a day number).
    public func page(_ db: Database, _ view: ReadableView, scope: String?, before: Int64?, limit: Int) throws -> [Row] {
        try sortedRows(db, view.location.projection, view.location.collection, RowQuery(scope: scope, order: .descending, limit: limit, after: before))
            .map { sorted in
                var row = sorted.row
                row["cursor"] = .integer(sorted.sort)
                return row
            }
    }
}
