import Crypto
import Domain
import EventStore
import Foundation
import Synchronization

/// Runs a command against one store, on the store's writer (``EventStore/append(deciding:)``):
/// folds the streams the decision depends on (from the ``StreamCache``, checked against the
/// log), decides (purely), and appends the events with the versions it read as expected
/// versions, in one transaction. A store decides one command at a time, in order, so commands
/// on one stream never race and never wait for each other's disk flush.
///
/// With an `Idempotency-Key`, event ids are derived from the tenant, the route and the key, so a
/// retried request finds its events already in the log and answers from them, writing nothing.
struct CommandBus {
    let store: EventStore
    let tenant: String
    let actor: String
    let requestID: String
    /// The route and `Idempotency-Key` of the request, when it carries one.
    let idempotency: Idempotency?
    let metrics: Metrics
    /// Decoded streams kept between commands.
    let cache: StreamCache

    /// What makes a request the retry of another: the same key on the same route (`scope`),
    /// with the same body (`bodyDigest`, SHA-256 hex).
    struct Idempotency: Sendable {
        let scope: String
        let key: String
        let bodyDigest: String?
    }

    /// The result of a command: its events (nothing when it changed nothing) and the position after it.
    struct Outcome {
        let events: [DomainEvent]
        let position: Int64
        /// True when this is a retry of a request already carried out.
        let replayed: Bool
    }

    /// Decides with the current state of the streams `reads` names and appends the result.
    func run(reading reads: [StreamRead], _ decide: @escaping @Sendable (StreamStates, DecisionContext) throws -> [DomainEvent]) async throws -> Outcome {
        /// What the writer found: the first request's events (a retry), or the decided events.
        enum Answer { case firstRequest([RecordedEvent]), decided([DomainEvent]) }
        let answer = Mutex(Answer.decided([]))
        let result = try await store.append { log in
            if let first = try replayed(log) {
                // Answered once the flush under way, which covers the first request, is done.
                answer.withLock { $0 = .firstRequest(first) }
                return WriterDecision(parts: [])
            }
            var folds: [String: any FoldedStream] = [:]
            for read in reads { folds[read.stream] = try cache.fold(read, in: store, log: log) }
            let context = DecisionContext(actor: actor, tenant: tenant, now: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
            let events = try decide(StreamStates(folds: folds), context)
            let versions = folds.mapValues(\.version)
            // The states are released here, so the cache can bring them up to date in place.
            folds = [:]
            answer.withLock { $0 = .decided(events) }
            return WriterDecision(parts: try parts(events, versions: versions), decoded: events) { recorded in
                // Positions follow the order of `events`: note each stream's new events.
                for stream in Set(recorded.map(\.stream)) {
                    let indices = recorded.indices.filter { recorded[$0].stream == stream }
                    cache.appended(indices.map { events[$0] }, to: stream, in: store, from: recorded[indices[0]].streamVersion)
                }
            }
        }
        switch answer.withLock({ $0 }) {
        case .firstRequest(let first):
            IdempotencyMiddleware.replay?.mark()
            return Outcome(events: try first.map(DomainEvent.init), position: first.last?.position ?? 0, replayed: true)
        case .decided(let events):
            guard !events.isEmpty else { return Outcome(events: [], position: store.head, replayed: false) }
            metrics.recordAppend(events: events.count)
            if result.isRetry { IdempotencyMiddleware.replay?.mark() }
            return Outcome(events: events, position: result.position, replayed: result.isRetry)
        }
    }

    /// Runs `command` of `decider` on the state of `stream`.
    func run<D: Decider>(_ decider: D.Type, _ command: D.Command, on stream: String) async throws -> Outcome {
        try await run(reading: [.stream(stream, as: D.self)]) { states, context in try D.decide(command, states[stream, as: D.self], context) }
    }

    /// The events grouped into consecutive per-stream parts; a stream's first part expects the
    /// version read, later parts of the same stream follow on.
    private func parts(_ events: [DomainEvent], versions: [String: Int64]) throws -> [StreamAppend] {
        let metadata = eventMetadata()
        var parts: [StreamAppend] = []
        var seen = Set<String>()
        for (index, event) in events.enumerated() {
            let new = NewEvent(id: eventID(index), type: event.type, schemaVersion: event.schemaVersion, data: event.data(), metadata: metadata)
            if let last = parts.indices.last, parts[last].stream == event.stream {
                parts[last].events.append(new)
                continue
            }
            let expected: ExpectedVersion = if seen.contains(event.stream) { .any } else if let version = versions[event.stream] {
                version == 0 ? .noStream : .exact(version)
            } else { .any }
            seen.insert(event.stream)
            parts.append(StreamAppend(stream: event.stream, expected: expected, events: [new]))
        }
        return parts
    }

    /// The metadata written with every event the gateway appends, as sorted-key JSON:
    /// `{"actor":…,"body_digest":…,"idempotency_key":…,"request_id":…}` (the key and the body's
    /// digest only when the request had a key).
    private func eventMetadata() -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        bytes.append(contentsOf: #"{"actor":"#.utf8)
        JSONWriter.writeString(actor, into: &bytes)
        if let digest = idempotency?.bodyDigest {
            bytes.append(contentsOf: #","body_digest":"#.utf8)
            JSONWriter.writeString(digest, into: &bytes)
        }
        if let key = idempotency?.key {
            bytes.append(contentsOf: #","idempotency_key":"#.utf8)
            JSONWriter.writeString(key, into: &bytes)
        }
        bytes.append(contentsOf: #","request_id":"#.utf8)
        JSONWriter.writeString(requestID, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return Data(bytes)
    }

    /// The id of the `index`th event: derived from the idempotency key when there is one.
    private func eventID(_ index: Int) -> UUID {
        guard let idempotency else { return UUID.timeOrdered() }
        var digest = Array(SHA256.hash(data: Data("\(tenant)\n\(idempotency.scope)\n\(idempotency.key)\n\(index)".utf8)).prefix(16))
        digest[6] = (digest[6] & 0x0F) | 0x80   // version 8: application-defined
        digest[8] = (digest[8] & 0x3F) | 0x80   // RFC 4122 variant
        return UUID(uuid: (digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
                           digest[8], digest[9], digest[10], digest[11], digest[12], digest[13], digest[14], digest[15]))
    }

    /// The events of the first request with this idempotency key, in order, if it was carried
    /// out; a conflict if that request had another body.
    private func replayed(_ log: WriterLog) throws -> [RecordedEvent]? {
        guard let idempotency, let first = try log.event(id: eventID(0)) else { return nil }
        if let digest = idempotency.bodyDigest, let recorded = try JSONParser.parse(first.metadata)["body_digest"]?.stringValue, recorded != digest {
            throw APIError(.conflict, "this Idempotency-Key was used for a request with another body")
        }
        var recorded = [first]
        while let next = try log.event(id: eventID(recorded.count)) { recorded.append(next) }
        return recorded
    }
}
