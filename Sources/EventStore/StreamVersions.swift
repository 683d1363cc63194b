import Synchronization

/// The stream versions a store's writer has seen, read or written, so that deciding a command
/// and checking its expected versions query none of them again (a query per command was ~3% of
/// the server's CPU in `bench http`).
///
/// Only the store's writer uses it, inside its transaction: a version is noted when read (the
/// log before the append deciding), and a decision's advances once its append is written. It is
/// dropped whenever the log may have changed otherwise — a rollback, a savepoint that failed to
/// release, an import or a restore — together with the writer's cached head.
final class StreamVersions: Sendable {
    private let byStream = Mutex<[String: Int64]>([:])
    /// Streams remembered at most: past it, the map starts over (each stream is read once more).
    static let limit = 10_000

    func version(of stream: String) -> Int64? {
        byStream.withLock { $0[stream] }
    }

    func note(_ stream: String, at version: Int64) {
        byStream.withLock { versions in
            if versions.count >= Self.limit, versions[stream] == nil { versions.removeAll(keepingCapacity: true) }
            versions[stream] = version
        }
    }

    func forget() {
        byStream.withLock { $0.removeAll() }
    }
}
