import Domain
import EventStore
import Foundation
import Hummingbird
import NIOCore
import Projections
import ServiceLifecycle

/// `GET /api/stream`: the tenant's projection changes as Server-Sent Events.
///
/// Each message is one log position: `id:` is the position, `data:` is
/// `{"position":P,"changes":[{projection, collection, key, op, row, position}, …]}`. A client
/// resumes with `Last-Event-ID` (or `?since=`): first it gets every row changed and every row
/// deleted after that position (at their current state), then live changes, with nothing lost
/// or repeated at the switch. Without either it starts at the current head. After the catch-up
/// comes `event: ready` with the head. Idle connections get a `: heartbeat` comment every 15 s;
/// a client that falls `streamBuffer` commits behind is disconnected and resumes the same way.
extension API {
    func addStreamRoute() {
        let services = services
        let position = Schema.integer(0...Int64.max)
        route(.get, "stream", "Server-Sent Events of projection changes (resume with Last-Event-ID or ?since=).", produces: "sse",
              accepts: RequestShape(query: ["since": position], headers: ["Last-Event-ID": ["type": "string", "pattern": "^[0-9]{1,18}$"]])) { request, context in
            let tenant = try context.requireTenant()
            // Both are checked when both are given; the header wins.
            let positions = try [request.headers[.init("Last-Event-ID")!], request.uri.queryParameters.get("since").map { String($0) }].map { text in
                try text.map { text in
                    guard let position = Int64(text), position >= 0 else {
                        throw APIError.badRequest("Last-Event-ID / since must be a log position (a non-negative integer)")
                    }
                    return position
                }
            }
            let since = positions[0] ?? positions[1]
            let body = ResponseBody { writer in
                services.metrics.streamOpened()
                defer { services.metrics.streamClosed() }
                try await services.stores.withTenant(tenant) { store in
                    try await ChangeStream(store: store, heartbeat: services.configuration.heartbeat, buffer: services.configuration.streamBuffer)
                        .run(since: since, writer: &writer)
                }
                try await writer.finish(nil)
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", .init("X-Accel-Buffering")!: "no"],
                body: body)
        }
    }
}

/// One `/api/stream` connection: catch-up, then live changes and heartbeats, until the client
/// goes away, falls too far behind, or the server shuts down.
struct ChangeStream {
    let store: EventStore
    let heartbeat: Duration
    let buffer: Int

    private enum Output: Sendable {
        case commit([ProjectionChange])
        case heartbeat
        case end
    }

    func run(since: Int64?, writer: inout any ResponseBodyWriter) async throws {
        let projector = store.projector
        // Listen before reading, so that nothing committed in between is missed.
        let live = projector.changes.listen(capacity: buffer)
        let (catchUp, head) = try await store.read { db in
            let head = try EventLog.head(db)
            return (try since.map { try projector.changes(db, after: $0) } ?? [], head)
        }
        for group in Self.byPosition(catchUp) { try await writer.write(Self.message(group)) }
        try await writer.write(ByteBuffer(string: "id: \(head)\nevent: ready\ndata: {\"position\":\(head)}\n\n"))

        let (outputs, continuation) = AsyncStream.makeStream(of: Output.self)
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await commit in live { continuation.yield(.commit(commit)) }
                    continuation.yield(.end)
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: heartbeat)
                        continuation.yield(.heartbeat)
                    }
                }
                defer { group.cancelAll() }
                for await output in outputs {
                    switch output {
                    case .commit(let changes):
                        for group in Self.byPosition(changes.filter { $0.position > head }) { try await writer.write(Self.message(group)) }
                    case .heartbeat:
                        try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                    case .end:
                        return
                    }
                }
            }
        } onGracefulShutdown: {
            continuation.yield(.end)
        }
    }

    /// Changes split into runs of one position each (they arrive in position order).
    private static func byPosition(_ changes: [ProjectionChange]) -> [[ProjectionChange]] {
        var groups: [[ProjectionChange]] = []
        for change in changes {
            if let last = groups.last?.last, last.position == change.position {
                groups[groups.count - 1].append(change)
            } else {
                groups.append([change])
            }
        }
        return groups
    }

    /// One SSE message: `data:` is `{"changes":[…],"position":P}`, written straight to bytes
    /// (members in key order, as ``JSONWriter`` writes objects; each row as the projection renders it).
    static func message(_ changes: [ProjectionChange]) -> ByteBuffer {
        let position = changes[0].position
        var bytes = Array("id: \(position)\nevent: change\ndata: {\"changes\":[".utf8)
        for (index, change) in changes.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += #"{"collection":"#.utf8
            JSONWriter.writeString(change.collection, into: &bytes)
            bytes += #","key":"#.utf8
            JSONWriter.writeString(change.key, into: &bytes)
            bytes += #","op":"\#(change.op.rawValue)","position":\#(change.position),"projection":"#.utf8
            JSONWriter.writeString(change.projection, into: &bytes)
            bytes += #","row":"#.utf8
            if let row = change.row { row.write(into: &bytes) } else { bytes += "null".utf8 }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes += "],\"position\":\(position)}\n\n".utf8
        return ByteBuffer(bytes: bytes)
    }
}
