import Foundation
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Sends numbered requests over many keep-alive connections from a few threads, each waiting on
/// its share of the connections with `poll(2)`: one wake-up serves every response that arrived
/// meanwhile. The load generator shares the two cores with the server it measures; a thread per
/// connection (64 threads blocked in `recv`) costs a wake-up and a context switch per response.
///
/// Each connection has at most one request in flight. In a *closed loop* (no rate) a connection
/// sends the next request as soon as its response arrives: the server's pace sets the load. At a
/// *rate*, the `n`th request is due `n / rate` seconds after the start and is sent by a free
/// connection once due; its latency counts from when it was due, not from when it was sent, so
/// time spent waiting for a free connection while the server lags is counted too (no
/// "coordinated omission").
struct LoadDriver: Sendable {
    /// A request to send: its bytes and a tag handed back with its response.
    struct Request {
        var bytes: [UInt8]
        var tag: Int
    }

    /// A response as received: the request's tag, status, body and arrival time.
    struct Response {
        var tag: Int
        var status: Int
        var body: [UInt8]
        var received: ContinuousClock.Instant
    }

    let port: Int
    let connections: Int
    let threads: Int

    /// Sends `requests` requests (`make` builds the `number`th), as fast as they are answered or
    /// at `rate` per second, and checks each response with `check`. Returns the time it all took
    /// and each exchange's latency in ms, sorted.
    func run(
        requests: Int, rate: Double? = nil,
        make: @escaping @Sendable (_ number: Int, inout SplitMix64) -> Request,
        check: @escaping @Sendable (Response) throws -> Void
    ) async throws -> (elapsed: Duration, latencies: [Double]) {
        let shares = (0..<threads).map { thread in (connections - thread + threads - 1) / threads }.filter { $0 > 0 }
        let connected = try shares.map { count in try (0..<count).map { _ in try LoadConnection(port: port) } }
        let next = Locked(0)
        let latencies = Locked<[Double]>([])
        let failure = Locked<String?>(nil)
        let clock = ContinuousClock()
        let start = clock.now
        let schedule = Schedule(start: start, rate: rate, requests: requests, next: next)
        let done = DispatchGroup()
        for share in connected {
            done.enter()
            Thread {
                defer { done.leave() }
                do {
                    let mine = try Self.drive(share, schedule: schedule, clock: clock, make: make, check: check)
                    latencies.withLock { $0 += mine }
                } catch {
                    failure.withLock { $0 = $0 ?? "\(error)" }
                    next.withLock { $0 = requests }
                }
            }.start()
        }
        await withCheckedContinuation { continuation in done.notify(queue: .global()) { continuation.resume() } }
        if let failure = failure.withLock({ $0 }) { throw LoadConnection.Failure(description: failure) }
        return (clock.now - start, latencies.withLock { $0 }.sorted())
    }

    /// Which request is next and when it is due, shared by the driver's threads.
    private struct Schedule: Sendable {
        enum Next {
            /// Send request `number`; its latency counts from `due`.
            case send(number: Int, due: ContinuousClock.Instant)
            /// The next request is due in this long.
            case wait(Duration)
            /// Every request has been sent.
            case done
        }

        let start: ContinuousClock.Instant
        let rate: Double?
        let requests: Int
        let next: Locked<Int>

        /// Takes the next request if it is due at `now` (in a closed loop, always).
        func take(at now: ContinuousClock.Instant) -> Next {
            next.withLock { number in
                guard number < requests else { return .done }
                let due = rate.map { start + .seconds(Double(number) / $0) } ?? now
                guard due <= now else { return .wait(due - now) }
                number += 1
                return .send(number: number - 1, due: due)
            }
        }
    }

    /// One thread's loop over its connections.
    private static func drive(
        _ connections: [LoadConnection], schedule: Schedule, clock: ContinuousClock,
        make: (Int, inout SplitMix64) -> Request, check: (Response) throws -> Void
    ) throws -> [Double] {
        var generator = SplitMix64()
        var latencies: [Double] = []
        var waiting = connections.map { pollfd(fd: $0.socket, events: Int16(POLLIN), revents: 0) }
        var inFlight: [(tag: Int, due: ContinuousClock.Instant)?] = Array(repeating: nil, count: connections.count)
        var idle = Array(connections.indices.reversed())
        while true {
            // Send what is due on the idle connections; then wait for a response or the next due time.
            var timeout: Duration?
            var allSent = false
            sending: while let index = idle.last {
                switch schedule.take(at: clock.now) {
                case .send(let number, let due):
                    idle.removeLast()
                    let request = make(number, &generator)
                    inFlight[index] = (request.tag, due)
                    try connections[index].write(request.bytes)
                case .wait(let delay):
                    timeout = delay
                    break sending
                case .done:
                    allSent = true
                    break sending
                }
            }
            if allSent, idle.count == connections.count { return latencies }
            try wait(&waiting, timeout: timeout)
            for index in waiting.indices where waiting[index].revents != 0 {
                try connections[index].receive()
                guard let (status, body) = try connections[index].takeResponse() else { continue }
                guard let sent = inFlight[index] else { throw LoadConnection.Failure(description: "a response to no request") }
                let received = clock.now
                latencies.append((received - sent.due).milliseconds)
                inFlight[index] = nil
                idle.append(index)
                try check(Response(tag: sent.tag, status: status, body: body, received: received))
            }
        }
    }

    /// Waits until a connection is readable or `timeout` (nil: no limit) has passed. `poll` counts
    /// in milliseconds: a wait is rounded up, so a request may be sent up to 1 ms after it was
    /// due — and that counts against its latency.
    private static func wait(_ waiting: inout [pollfd], timeout: Duration?) throws {
        let milliseconds = timeout.map { Int32($0.milliseconds.rounded(.up)) } ?? -1
        guard poll(&waiting, nfds_t(waiting.count), milliseconds) >= 0 else {
            guard errno == EINTR else { throw LoadConnection.Failure(description: "poll() failed: \(errno)") }
            for index in waiting.indices { waiting[index].revents = 0 }
            return
        }
    }
}
