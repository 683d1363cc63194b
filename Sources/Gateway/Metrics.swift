import EventStore
import Synchronization

/// The server's counters, served as Prometheus text on `/metrics`: requests by method, route
/// and status, request latency (histogram), events appended, stream subscribers, outbox depth,
/// and the commit journal's flushes, records and bytes.
public final class Metrics: Sendable {
    private struct RequestKey: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    private struct State {
        var requests: [RequestKey: Int] = [:]
        var latencyBuckets = [Int](repeating: 0, count: Metrics.bounds.count)
        var latencyCount = 0
        var latencySum = 0.0
        var appends = 0
        var appendedEvents = 0
    }

    /// Latency bucket bounds in seconds.
    static let bounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private let state = Mutex(State())
    private let subscribers = Atomic<Int>(0)
    private let outbox = Atomic<Int>(0)

    public init() {}

    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        let seconds = duration.milliseconds / 1_000
        state.withLock { state in
            state.requests[RequestKey(method: method, route: route, status: status), default: 0] += 1
            for (index, bound) in Self.bounds.enumerated() where seconds <= bound { state.latencyBuckets[index] += 1 }
            state.latencyCount += 1
            state.latencySum += seconds
        }
    }

    func recordAppend(events: Int) {
        state.withLock { $0.appends += 1; $0.appendedEvents += events }
    }

    func streamOpened() { subscribers.add(1, ordering: .relaxed) }
    func streamClosed() { subscribers.subtract(1, ordering: .relaxed) }
    func setOutboxDepth(_ depth: Int) { outbox.store(depth, ordering: .relaxed) }

    /// The Prometheus text exposition, with the commit journal's figures.
    public func render(journal: CommitJournal.Statistics) -> String {
        let state = state.withLock { $0 }
        var lines = [
            "# HELP clawcloud_http_requests_total HTTP requests by method, route and status.",
            "# TYPE clawcloud_http_requests_total counter",
        ]
        for (key, count) in state.requests.sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
            lines.append(#"clawcloud_http_requests_total{method="\#(key.method)",route="\#(Self.escape(key.route))",status="\#(key.status)"} \#(count)"#)
        }
        lines += ["# HELP clawcloud_http_request_duration_seconds Request latency.", "# TYPE clawcloud_http_request_duration_seconds histogram"]
        for (index, bound) in Self.bounds.enumerated() {
            lines.append(#"clawcloud_http_request_duration_seconds_bucket{le="\#(bound)"} \#(state.latencyBuckets[index])"#)
        }
        lines.append(#"clawcloud_http_request_duration_seconds_bucket{le="+Inf"} \#(state.latencyCount)"#)
        lines.append("clawcloud_http_request_duration_seconds_sum \(state.latencySum)")
        lines.append("clawcloud_http_request_duration_seconds_count \(state.latencyCount)")
        lines += [
            "# HELP clawcloud_appends_total Appends to event stores.", "# TYPE clawcloud_appends_total counter",
            "clawcloud_appends_total \(state.appends)",
            "# HELP clawcloud_appended_events_total Events appended.", "# TYPE clawcloud_appended_events_total counter",
            "clawcloud_appended_events_total \(state.appendedEvents)",
            "# HELP clawcloud_stream_subscribers Open /api/stream connections.", "# TYPE clawcloud_stream_subscribers gauge",
            "clawcloud_stream_subscribers \(subscribers.load(ordering: .relaxed))",
            "# HELP clawcloud_outbox_depth Runtime calls recorded and not yet finished.", "# TYPE clawcloud_outbox_depth gauge",
            "clawcloud_outbox_depth \(outbox.load(ordering: .relaxed))",
            "# HELP clawcloud_journal_flushes_total Disk flushes of the commit journal.", "# TYPE clawcloud_journal_flushes_total counter",
            "clawcloud_journal_flushes_total \(journal.flushes)",
            "# HELP clawcloud_journal_records_total Store commits made durable by the journal (per flush: commits sharing a disk flush).",
            "# TYPE clawcloud_journal_records_total counter",
            "clawcloud_journal_records_total \(journal.records)",
            "# HELP clawcloud_journal_bytes_total Bytes written to the commit journal.", "# TYPE clawcloud_journal_bytes_total counter",
            "clawcloud_journal_bytes_total \(journal.bytes)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
