import Foundation
import GRDB

/// The outcome of ``EventStore/verify(progress:)``.
public struct VerificationReport: Sendable, Equatable {
    /// Events whose hash was recomputed and matched.
    public var eventsVerified: Int64
    /// The first position whose row does not match the chain, or is missing, if any.
    public var firstBadPosition: Int64?
    /// What is wrong at ``firstBadPosition``, or with the schema.
    public var problems: [String]

    /// True when the chain verifies end to end and the append-only triggers are in place.
    public var isIntact: Bool { firstBadPosition == nil && problems.isEmpty }
}

extension EventStore {
    /// Recomputes the hash chain from position 1 and checks that positions are gapless and stream
    /// versions consecutive. Stops at the first bad row and names its position.
    ///
    /// - Parameter progress: called after each batch with the last position checked.
    public func verify(progress: (@Sendable (Int64) -> Void)? = nil) async throws -> VerificationReport {
        try await read { db in
            var report = VerificationReport(eventsVerified: 0, firstBadPosition: nil, problems: [])
            let triggers = try String.fetchSet(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'")
            for missing in StoreSchema.appendOnlyTriggers where !triggers.contains(missing) {
                report.problems.append("append-only trigger \(missing) is missing")
            }
            var previous = EventHash.genesis
            var streamVersions: [String: Int64] = [:]
            var cursor: Int64 = 0
            while true {
                let batch = try EventRows.log(after: cursor, limit: self.configuration.readBatchSize, db)
                if batch.isEmpty { break }
                for event in batch {
                    if let problem = Self.problem(with: event, after: cursor, previous: previous, streamVersions) {
                        report.firstBadPosition = cursor + 1
                        report.problems.append(problem)
                        return report
                    }
                    streamVersions[event.stream] = event.streamVersion
                    previous = event.hash
                    cursor = event.position
                    report.eventsVerified += 1
                }
                progress?(cursor)
            }
            return report
        }
    }

    private static func problem(
        with event: RecordedEvent, after cursor: Int64, previous: EventDigest, _ streamVersions: [String: Int64]
    ) -> String? {
        if event.position != cursor + 1 {
            return "position \(cursor + 1) is missing (next stored position is \(event.position))"
        }
        if event.streamVersion != (streamVersions[event.stream] ?? 0) + 1 {
            return "position \(event.position): stream \(event.stream) jumps to version \(event.streamVersion)"
        }
        if EventHash.chain(previous: previous, event) != event.hash {
            return "position \(event.position): stored hash does not match the event's content"
        }
        return nil
    }
}
