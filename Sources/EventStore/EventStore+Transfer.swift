import Foundation
import GRDB

/// What an import wrote.
public struct ImportSummary: Sendable, Equatable {
    /// Events written.
    public var events: Int64
    /// The log's last position afterwards.
    public var head: Int64

    public init(events: Int64, head: Int64) {
        self.events = events
        self.head = head
    }
}

extension EventStore {
    /// Writes the log after `position` as JSONL (see ``EventLine``), one `write` call per line
    /// including its trailing newline.
    public func exportJSONL(after position: Int64 = 0, write: (Data) throws -> Void) async throws {
        try await forEachBatch(after: position) { batch in
            for event in batch {
                var line = EventLine.encode(event)
                line.append(0x0A)
                try write(line)
            }
        }
    }

    /// Appends the events of a JSONL file (an export) exactly as they are: positions, stream
    /// versions, ids, timestamps and hashes are kept, so importing an export gives byte-identical
    /// rows. The file must continue this log (its first position is `head + 1`); every line is
    /// checked (gapless positions, consecutive stream versions, unique ids, valid JSON, the hash
    /// chain) and the whole file is written in one transaction — on any error, nothing is written.
    ///
    /// The store's ``AppendHook`` applies the imported events in the same transaction; it is not
    /// told of the commit (live subscribers see the new head, not a notification per event).
    ///
    /// - Parameter progress: called every `readBatchSize` events with the count so far.
    @discardableResult
    public func importJSONL(from url: URL, progress: (@Sendable (Int64) -> Void)? = nil) async throws -> ImportSummary {
        let lines = try LineReader(url: url)
        return try await importLines(lines, keepingStored: false, progress: progress)
    }

    /// Gives the store back commits a ``CommitJournal`` kept of it (export lines, in order):
    /// lines the log already holds must be there as they are (same position, same hash); the
    /// rest must continue the log, and are checked and appended as an import is, in one
    /// transaction with `synchronous=FULL`. When this returns, all of them are durable in the
    /// store — those it already held too (after a crash of the process alone, they may still
    /// have been in the OS, not on disk), so the journal can let go of them.
    ///
    /// - Returns: how many events were appended.
    public func restore(_ lines: [Data]) async throws -> Int {
        let restored = try await importLines(lines, keepingStored: true, progress: nil).events
        try durability.log?.flushNow()
        return Int(restored)
    }

    /// Appends `lines` (see ``importJSONL(from:progress:)``); with `keepingStored`, lines at or
    /// before the head are checked against the log instead.
    private func importLines(
        _ lines: some Sequence<Data> & Sendable, keepingStored: Bool, progress: (@Sendable (Int64) -> Void)?
    ) async throws -> ImportSummary {
        let batchSize = Int64(configuration.readBatchSize)
        let summary = try await write { db -> ImportSummary in
            self.committer.forgetHead()
            var (position, previous) = try EventRows.head(db)
            var streamVersions: [String: Int64] = [:]
            var imported: Int64 = 0
            var lineNumber = 0
            var pending: [RecordedEvent] = []
            for line in lines {
                lineNumber += 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                do {
                    let decoded = try EventLine.decode(line)
                    if keepingStored, try Self.isStored(decoded, upTo: position, db) { continue }
                    let event = try Self.importedEvent(
                        decoded, after: position, previous: previous, streamVersions: &streamVersions, db)
                    try EventRows.insert(event, db)
                    pending.append(event)
                    position = event.position
                    previous = event.hash
                } catch let error as RawJSONError {
                    throw EventStoreError.invalidImport(line: lineNumber, reason: error.description)
                } catch let error as EventStoreError {
                    throw EventStoreError.invalidImport(line: lineNumber, reason: error.description)
                } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                    throw EventStoreError.invalidImport(line: lineNumber, reason: "event id already in the log")
                }
                imported += 1
                if imported % batchSize == 0 {
                    _ = try self.configuration.hook?.apply(pending, decoded: nil, db)
                    pending.removeAll(keepingCapacity: true)
                    progress?(imported)
                }
            }
            if !pending.isEmpty { _ = try self.configuration.hook?.apply(pending, decoded: nil, db) }
            progress?(imported)
            return ImportSummary(events: imported, head: position)
        }
        hub.resynchronize(committed: summary.head)
        return summary
    }

    /// Whether `decoded` is an event the log holds at or before `head`, exactly (else an error);
    /// false when it comes after `head`.
    private static func isStored(_ decoded: EventLine.Decoded, upTo head: Int64, _ db: Database) throws -> Bool {
        guard decoded.position <= head else { return false }
        let stored = try EventRows.log(after: decoded.position - 1, through: decoded.position, limit: 1, db).first
        guard let stored, stored.hash == decoded.hash else {
            throw RawJSONError("the event at position \(decoded.position) differs from the log's")
        }
        return true
    }

    private static func importedEvent(
        _ decoded: EventLine.Decoded, after position: Int64, previous: EventDigest, streamVersions: inout [String: Int64], _ db: Database
    ) throws -> RecordedEvent {
        try NewEvent(id: decoded.id, type: decoded.type, schemaVersion: decoded.schemaVersion,
                     data: decoded.data, metadata: decoded.metadata).validate()
        guard decoded.position == position + 1 else {
            throw RawJSONError("position \(decoded.position) does not follow \(position)")
        }
        let current: Int64
        if let known = streamVersions[decoded.stream] {
            current = known
        } else {
            current = try EventRows.version(of: decoded.stream, db)
        }
        guard decoded.streamVersion == current + 1 else {
            throw RawJSONError("stream \(decoded.stream) version \(decoded.streamVersion) does not follow \(current)")
        }
        streamVersions[decoded.stream] = decoded.streamVersion
        let hash = EventHash.chain(
            previous: previous, position: decoded.position, stream: decoded.stream, streamVersion: decoded.streamVersion,
            id: decoded.id, type: decoded.type, schemaVersion: decoded.schemaVersion, data: decoded.data,
            metadata: decoded.metadata, recordedAt: decoded.recordedAt)
        if let claimed = decoded.hash, claimed != hash {
            throw RawJSONError("hash does not match the event (the export was altered, or does not continue this log)")
        }
        return RecordedEvent(
            position: decoded.position, stream: decoded.stream, streamVersion: decoded.streamVersion, id: decoded.id,
            type: decoded.type, schemaVersion: decoded.schemaVersion, data: decoded.data, metadata: decoded.metadata,
            recordedAt: decoded.recordedAt, hash: hash)
    }
}
