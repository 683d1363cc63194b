import Domain
import EventStore
import Foundation

/// A recorded tenant history and the projections it must produce, kept under
/// `fixtures/tenants/<name>/`:
///
/// ```text
/// events.jsonl              the tenant's log in the export format (`hash` may be left out)
/// platform.jsonl            optional: the platform store's events of the same story (waitlist, access)
/// expected/<projection>.json every projection's rows as {collection: {key: row}}
/// ```
///
/// ``replay(checkRebuild:progress:)`` imports the history into scratch stores whose projector
/// applies every event inline, exactly as live appends do, and dumps every projection.
public struct Fixture: Sendable {
    public let directory: URL

    public init(_ directory: URL) {
        self.directory = directory
    }

    public var name: String { directory.lastPathComponent }
    public var events: URL { directory.appendingPathComponent("events.jsonl") }
    public var platformEvents: URL { directory.appendingPathComponent("platform.jsonl") }
    public var expectedDirectory: URL { directory.appendingPathComponent("expected") }

    /// The fixtures under `root` (directories holding an `events.jsonl`), by name.
    public static func all(in root: URL) throws -> [Fixture] {
        try FileManager.default.contentsOfDirectory(at: root, includingPropertiesForKeys: nil)
            .map(Fixture.init)
            .filter { FileManager.default.fileExists(atPath: $0.events.path) }
            .sorted { $0.name < $1.name }
    }

    /// What a replay produced.
    public struct Replay: Sendable {
        /// Every projection's rows, by projection name.
        public var projections: [String: JSONValue]
        /// Events replayed (tenant and platform).
        public var events: Int64
        /// Projections whose full rebuild did not give byte-identical rows (when checked).
        public var rebuildMismatches: [String]
    }

    /// Replays the history into scratch stores (removed afterwards) and dumps every projection.
    /// With `checkRebuild`, then rebuilds every projection from the log and compares the stored
    /// rows byte for byte with the inline ones.
    public func replay(checkRebuild: Bool = false, progress: (@Sendable (Int64) -> Void)? = nil) async throws -> Replay {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("clawcloud-replay-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tenant: TenantID
        do { tenant = try TenantID(name) } catch { throw DomainError.invalid("fixture name \(name) is not a valid tenant id") }
        var result = Replay(projections: [:], events: 0, rebuildMismatches: [])
        var stores: [(StoreIdentity, Projector, URL)] = [(.tenant(tenant), .tenant(), events)]
        if FileManager.default.fileExists(atPath: platformEvents.path) {
            stores.append((.platform, .platform(), platformEvents))
        }
        for (identity, projector, file) in stores {
            var configuration = EventStore.Configuration()
            configuration.durable = false
            configuration.hook = projector
            let store = try EventStore.open(identity, in: DataDirectory(scratch), configuration: configuration)
            do {
                let offset = result.events
                let summary = try await store.importJSONL(from: file) { progress?(offset + $0) }
                result.events += summary.events
                try await projector.prepare(store)
                let names = projector.projections.map(\.name)
                let (dumps, inline) = try await store.read { db in
                    (try names.map { try projector.dump(db, $0) }, try names.map { try projector.storedRows(db, $0) })
                }
                for (name, dump) in zip(names, dumps) { result.projections[name] = dump }
                if checkRebuild {
                    try await projector.rebuild(store)
                    let rebuilt = try await store.read { db in try names.map { try projector.storedRows(db, $0) } }
                    result.rebuildMismatches += zip(names, zip(inline, rebuilt)).filter { $1.0 != $1.1 }.map(\.0)
                }
                try await store.close()
            } catch {
                try? await store.close()
                throw error
            }
        }
        return result
    }

    /// The expectations, by projection name.
    public func expected() throws -> [String: JSONValue] {
        let files = (try? FileManager.default.contentsOfDirectory(at: expectedDirectory, includingPropertiesForKeys: nil)) ?? []
        var expected: [String: JSONValue] = [:]
        for file in files where file.pathExtension == "json" {
            do {
                expected[file.deletingPathExtension().lastPathComponent] = try JSONParser.parse(Data(contentsOf: file))
            } catch {
                throw DomainError.invalid("\(file.path): \(error)")
            }
        }
        return expected
    }

    /// What differs between the expectations and a replay, by projection (empty when all match).
    public func differences(_ replay: Replay, limit: Int = 20) throws -> [String: [String]] {
        let expected = try expected()
        var differences: [String: [String]] = [:]
        for name in Set(expected.keys).union(replay.projections.keys) {
            switch (expected[name], replay.projections[name]) {
            case (let want?, let got?):
                let lines = JSONDiff.lines(expected: want, actual: got, limit: limit)
                if !lines.isEmpty { differences[name] = lines }
            case (nil, _?): differences[name] = ["no expected/\(name).json (write it with --update)"]
            case (_?, nil): differences[name] = ["expected/\(name).json names no projection of this history"]
            case (nil, nil): break
            }
        }
        return differences
    }

    /// Rewrites `expected/` from a replay: one pretty-printed file per projection, stale files removed.
    public func writeExpected(_ replay: Replay) throws {
        let manager = FileManager.default
        try manager.createDirectory(at: expectedDirectory, withIntermediateDirectories: true)
        for file in try manager.contentsOfDirectory(at: expectedDirectory, includingPropertiesForKeys: nil)
        where file.pathExtension == "json" && replay.projections[file.deletingPathExtension().lastPathComponent] == nil {
            try manager.removeItem(at: file)
        }
        for (name, rows) in replay.projections {
            try JSONWriter.pretty(rows).write(to: expectedDirectory.appendingPathComponent("\(name).json"), options: .atomic)
        }
    }
}
