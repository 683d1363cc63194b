import GRDB

/// Work that runs inside every append transaction — inline projections — and hears what committed.
///
/// The store calls ``apply(_:decoded:_:)`` after inserting an append's events, in the same transaction
/// (in the append's own savepoint when appends share a transaction): throwing fails that append
/// and nothing of it is written. After COMMIT the store calls ``committed(_:)`` once per
/// transaction with the outputs of its appends, in position order, before any caller resumes
/// or any subscriber hears of the events.
///
/// A hook may keep what `apply` read and wrote for later calls (a row cache) only until
/// ``forget()``: the store calls it whenever the database may hold something else — when a
/// rollback undoes an `apply` that succeeded, and around any write that is not an append. An
/// `apply` that throws must itself leave nothing kept of what it did.
public protocol AppendHook: Sendable {
    /// Applies `events` (in position order) to what lives next to the log in `db`. `decoded`,
    /// when the appender passed it along, holds the events as it made them (`decoded[i]` is
    /// `events[i]` before encoding), so the hook may skip decoding their data; imports and
    /// restores pass nil.
    func apply(_ events: [RecordedEvent], decoded: [any Sendable]?, _ db: Database) throws -> (any Sendable)?
    /// Hears the outputs of the appends a transaction committed, in position order.
    func committed(_ outputs: [any Sendable])
    /// Drops whatever `apply` kept between calls. Called on the writer.
    func forget()
}

extension AppendHook {
    /// A hook that keeps nothing between calls has nothing to drop.
    public func forget() {}
}
