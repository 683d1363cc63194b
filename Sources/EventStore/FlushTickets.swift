import Synchronization

/// Commits waiting for a disk flush, called back in the order they were registered: the
/// bookkeeping a ``WALSyncer`` and a ``CommitJournal`` share.
///
/// A commit takes a ticket. One flusher at a time runs flushes; after each, it calls back every
/// ticket registered before that flush began, so one flush covers every commit it finds, and
/// callbacks run in ticket order, never two at once. The flusher stays the flusher until nothing
/// waits. A failed flush fails its tickets and every later one.
final class FlushTickets: Sendable {
    typealias Completion = @Sendable (Result<Void, any Error>) -> Void

    private struct State {
        /// The last ticket given.
        var registered: UInt64 = 0
        var waiting: [(ticket: UInt64, then: Completion)] = []
        /// A flusher is running (always, while anything waits).
        var flushing = false
        var failure: EventStoreError?
    }

    private let state = Mutex(State())

    /// Why nothing can be made durable any more, once a flush (or what it depends on) failed.
    var failure: EventStoreError? { state.withLock { $0.failure } }

    /// Fails every later flush with `error` (the first failure stays).
    func fail(_ error: EventStoreError) {
        state.withLock { if $0.failure == nil { $0.failure = error } }
    }

    /// Registers a commit; `then` runs once a flush that began after this covers it, or failed.
    /// - Returns: true when no flusher is running: the caller must start ``run(_:)``.
    func register(_ then: @escaping Completion) -> Bool {
        state.withLock { state in
            state.registered += 1
            state.waiting.append((state.registered, then))
            guard !state.flushing else { return false }
            state.flushing = true
            return true
        }
    }

    /// Waits until every commit registered so far is durable (or has failed).
    func drain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            // While anything waits a flusher runs, and it will take this ticket too.
            let idle = state.withLock { state -> Bool in
                if state.waiting.isEmpty && !state.flushing { return true }
                state.registered += 1
                state.waiting.append((state.registered, { _ in continuation.resume() }))
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Runs `flush` and calls back what each run covered, until nothing waits. Call only when
    /// ``register(_:)`` returned true.
    func run(_ flush: () -> Result<Void, any Error>) {
        while true {
            let (target, failure) = state.withLock { ($0.registered, $0.failure) }
            let outcome = failure.map { .failure($0) } ?? flush()
            let done = state.withLock { state in
                if case .failure(let error as EventStoreError) = outcome, state.failure == nil { state.failure = error }
                let count = state.waiting.prefix { $0.ticket <= target }.count
                defer { state.waiting.removeFirst(count) }
                return Array(state.waiting.prefix(count))
            }
            for waiter in done { waiter.then(outcome) }
            let idle = state.withLock { state in
                if state.waiting.isEmpty { state.flushing = false }
                return !state.flushing
            }
            if idle { return }
        }
    }
}
