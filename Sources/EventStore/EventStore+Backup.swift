import Foundation
import GRDB

extension EventStore {
    /// Copies the store to `destination` with SQLite's online backup API while it keeps serving;
    /// the copy is a consistent snapshot and opens as the same identity.
    ///
    /// - Throws: when `destination` already exists (a backup never overwrites).
    public func backup(to destination: URL) async throws {
        guard !FileManager.default.fileExists(atPath: destination.path) else {
            throw EventStoreError.invalidEvent("backup destination \(destination.path) already exists")
        }
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let copy = try DatabaseQueue(path: destination.path)
        try await committer.settle()
        try pool.backup(to: copy)
        try copy.close()
    }
}
