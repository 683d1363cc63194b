import Foundation
import ServiceLifecycle
import Synchronization

/// Work that outlives the request that started it: a runtime side effect its caller stopped
/// waiting for (answered `202 in_progress`), a chat run's recording after its caller left.
///
/// A `Service` in the server's group: on graceful shutdown it waits for every piece of work
/// still running, so that none is cut between its runtime call and the record of its outcome.
public final class BackgroundWork: Service, Sendable {
    private let running = Mutex<[UUID: Task<Void, Never>]>([:])

    public init() {}

    /// Starts `body`; its result can be awaited, for a while or to the end.
    func start<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> Handle<T> {
        let id = UUID()
        let task = Task { try await body() }
        let watcher = Task { [weak self] in
            _ = await task.result
            _ = self?.running.withLock { $0.removeValue(forKey: id) }
        }
        running.withLock { $0[id] = watcher }
        return Handle(task: task)
    }

    /// How much work is under way.
    var count: Int { running.withLock { $0.count } }

    public func run() async throws {
        try? await gracefulShutdown()
        while true {
            let tasks = running.withLock { Array($0.values) }
            guard !tasks.isEmpty else { return }
            for task in tasks { await task.value }
        }
    }

    /// A piece of background work.
    struct Handle<T: Sendable>: Sendable {
        let task: Task<T, any Error>

        /// Its result, or nil when it takes longer than `wait` (it goes on). Returns as soon as
        /// either comes: a task group would wait for the work itself before returning.
        func value(within wait: Duration) async throws -> T? {
            let race = FirstAnswer<T?>()
            let task = self.task
            return try await withCheckedThrowingContinuation { continuation in
                race.start(continuation)
                Task { race.finish(await task.result.map { Optional($0) }) }
                Task {
                    try? await Task.sleep(for: wait)
                    race.finish(.success(nil))
                }
            }
        }
    }
}

/// Resumes a continuation with the first of several answers; the others are dropped.
private final class FirstAnswer<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, any Error>?>(nil)

    func start(_ continuation: CheckedContinuation<Value, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    func finish(_ result: Result<Value, any Error>) {
        continuation.withLock { continuation in
            continuation?.resume(with: result)
            continuation = nil
        }
    }
}
