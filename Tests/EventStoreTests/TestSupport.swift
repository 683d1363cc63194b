import EventStore
import Foundation

/// A fresh data directory under the system temp directory, removed by ``remove()``.
struct ScratchDirectory {
    let url: URL
    var data: DataDirectory { DataDirectory(url) }

    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("clawcloud-test-\(UUID().uuidString)")
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Runs `body` with a fresh tenant store in a scratch directory, then closes and removes it.
func withScratchStore<T>(
    tenant: String = "user_test", configuration: EventStore.Configuration = .init(),
    _ body: (EventStore, ScratchDirectory) async throws -> T
) async throws -> T {
    let scratch = ScratchDirectory()
    defer { scratch.remove() }
    let store = try EventStore.open(.tenant(TenantID(tenant)), in: scratch.data, configuration: configuration)
    do {
        let result = try await body(store, scratch)
        try? await store.close()
        return result
    } catch {
        try? await store.close()
        throw error
    }
}

/// A small event whose payload names `label`.
func event(_ label: String, type: String = "test.happened", id: UUID = UUID()) -> NewEvent {
    NewEvent(id: id, type: type, data: Data(#"{"label":"\#(label)"}"#.utf8))
}

/// The directory holding the package's built products (next to the test bundle).
func productsDirectory() -> URL {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.pathComponents.count > 1 {
        url.deleteLastPathComponent()
        if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("store-crash-probe").path) { return url }
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug").standardized
}

/// Runs a built product to completion; returns its exit status, standard output and standard error.
func runProduct(_ name: String, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = productsDirectory().appendingPathComponent(name)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// The outcome of an async throwing call, as a `Result`.
func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
