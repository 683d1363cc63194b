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
/// Each connection has one request in flight (a closed loop): when its response arrives, the
/// connection sends the next number, until `requests` have been sent.
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

    /// Sends `requests` requests (`make` builds the `number`th) and checks each response with
    /// `check`. Returns the time it all took and each exchange's latency in ms, sorted.
    func run(
        requests: Int,
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
        let done = DispatchGroup()
        for share in connected {
            done.enter()
            Thread {
                defer { done.leave() }
                do {
                    let mine = try Self.drive(share, requests: requests, next: next, clock: clock, make: make, check: check)
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

    /// One thread's loop over its connections.
    private static func drive(
        _ connections: [LoadConnection], requests: Int, next: Locked<Int>, clock: ContinuousClock,
        make: (Int, inout SplitMix64) -> Request, check: (Response) throws -> Void
    ) throws -> [Double] {
        var generator = SplitMix64()
        var latencies: [Double] = []
        var waiting = [pollfd](repeating: pollfd(), count: connections.count)
        var inFlight: [(tag: Int, sent: ContinuousClock.Instant)] = Array(repeating: (0, clock.now), count: connections.count)
        var open = 0
        /// Sends the next request on connection `index`, or takes it out of the poll set when all are sent.
        func sendNext(_ index: Int) throws {
            let number = next.withLock { value in defer { value += 1 }; return value }
            guard number < requests else {
                waiting[index].fd = -1
                open -= 1
                return
            }
            let request = make(number, &generator)
            inFlight[index] = (request.tag, clock.now)
            try connections[index].write(request.bytes)
        }
        for (index, connection) in connections.enumerated() {
            waiting[index] = pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0)
            open += 1
            try sendNext(index)
        }
        while open > 0 {
            guard poll(&waiting, nfds_t(waiting.count), -1) >= 0 else {
                if errno == EINTR { continue }
                throw LoadConnection.Failure(description: "poll() failed: \(errno)")
            }
            for index in waiting.indices where waiting[index].fd >= 0 && waiting[index].revents != 0 {
                try connections[index].receive()
                guard let (status, body) = try connections[index].takeResponse() else { continue }
                let received = clock.now
                latencies.append((received - inFlight[index].sent).milliseconds)
                try check(Response(tag: inFlight[index].tag, status: status, body: body, received: received))
                try sendNext(index)
            }
        }
        return latencies
    }
}
