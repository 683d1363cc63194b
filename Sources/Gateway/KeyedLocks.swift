import Synchronization

/// Async locks by name: commands on the same stream take turns instead of racing to a version
/// conflict (the store's expected-version check stays the safety net). Waiters are served in
/// arrival order.
final class KeyedLocks: Sendable {
    private let waiters = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    /// Runs `body` holding every lock in `keys` (taken in sorted order, so two callers never deadlock).
    func withLocks<Result>(_ keys: [String], _ body: () async throws -> Result) async throws -> Result {
        let keys = Array(Set(keys)).sorted()
        for key in keys { await lock(key) }
        defer { for key in keys.reversed() { unlock(key) } }
        return try await body()
    }

    private func lock(_ key: String) async {
        let free = waiters.withLock { state -> Bool in
            guard state[key] == nil else { return false }
            state[key] = []
            return true
        }
        if free { return }
        await withCheckedContinuation { continuation in
            let granted = waiters.withLock { state -> Bool in
                if state[key] == nil {
                    state[key] = []
                    return true
                }
                state[key]!.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    private func unlock(_ key: String) {
        let next = waiters.withLock { state -> CheckedContinuation<Void, Never>? in
            guard var queue = state[key], !queue.isEmpty else {
                state[key] = nil
                return nil
            }
            let next = queue.removeFirst()
            state[key] = queue
            return next
        }
        next?.resume()
    }
}
