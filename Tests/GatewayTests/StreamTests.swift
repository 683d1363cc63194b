import AsyncHTTPClient
import Domain
import Foundation
@testable import Gateway
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import Projections
import Testing

/// One Server-Sent Event.
struct SSEMessage: Equatable {
    var id: String?
    var event: String?
    var data: String?
    var comment: String?
}

/// Reads `/api/stream` over a real socket, message by message. Used by one task at a time.
final class SSEReader: @unchecked Sendable {
    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var pending = ""

    init(port: Int, user: String = "user_a", lastEventID: String? = nil, query: String = "") async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/stream\(query)")
        request.headers.add(name: "X-OA-Internal-Key", value: TestGateway.internalKey)
        request.headers.add(name: "X-OA-User-Id", value: user)
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(response.status == .ok)
        #expect(response.headers["content-type"].first == "text/event-stream; charset=utf-8")
        iterator = response.body.makeAsyncIterator()
    }

    /// The next message (nil when the server ended the stream).
    func next() async throws -> SSEMessage? {
        while true {
            if let end = pending.range(of: "\n\n") {
                let block = String(pending[..<end.lowerBound])
                pending.removeSubrange(..<end.upperBound)
                var message = SSEMessage()
                for line in block.split(separator: "\n") {
                    if line.hasPrefix(":") { message.comment = line.dropFirst().trimmingCharacters(in: .whitespaces) }
                    else if line.hasPrefix("id: ") { message.id = String(line.dropFirst(4)) }
                    else if line.hasPrefix("event: ") { message.event = String(line.dropFirst(7)) }
                    else if line.hasPrefix("data: ") { message.data = String(line.dropFirst(6)) }
                }
                return message
            }
            guard let buffer = try await iterator.next() else { return nil }
            pending += String(buffer: buffer)
        }
    }

    /// Messages up to and including the first `event: ready`.
    func untilReady() async throws -> [SSEMessage] {
        var messages: [SSEMessage] = []
        while let message = try await next() {
            messages.append(message)
            if message.event == "ready" { break }
        }
        return messages
    }
}

/// The result of `body`, or a failure once `limit` has passed.
func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask { try await Task.sleep(for: limit); return nil }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw ProcessFailure("no result within \(limit)") }
        return value
    }
}

@Suite("Change stream")
struct StreamTests {
    @Test("the stream sends catch-up then live changes, and resumes from Last-Event-ID with nothing lost or repeated")
    func resume() async throws {
        let gateway = try await TestGateway()
        try await gateway.run(.live) { client in
            let port = try #require(client.port)
            _ = try await client.call(.post, "/api/threads", body: #"{"title":"one"}"#)

            // Catch-up from the start, then a live change.
            let first = try await SSEReader(port: port, query: "?since=0")
            let caughtUp = try await first.untilReady()
            #expect(caughtUp.map(\.id) == ["1", "1"])
            #expect(caughtUp.first?.event == "change")
            #expect(caughtUp.first?.data?.contains(#""projection":"threads_index""#) == true)
            _ = try await client.call(.post, "/api/threads", body: #"{"title":"two"}"#)
            let live = try #require(try await first.next())
            #expect(live.id == "2")
            let data = try JSONParser.parse(Data(try #require(live.data).utf8))
            #expect(data["position"] == 2)
            #expect(data["changes"]?.arrayCount ?? 0 >= 2)

            // Writes while no one listens; a resumed stream gets exactly those, once.
            _ = try await client.call(.post, "/api/threads", body: #"{"title":"three"}"#)
            _ = try await client.call(.post, "/api/threads", body: #"{"title":"four"}"#)
            let resumed = try await SSEReader(port: port, lastEventID: "2")
            let missed = try await resumed.untilReady()
            #expect(missed.filter { $0.event == "change" }.map(\.id) == ["3", "4"])
            #expect(missed.last?.id == "4")
            _ = try await client.call(.post, "/api/threads", body: #"{"title":"five"}"#)
            #expect(try await resumed.next()?.id == "5")

            // Another tenant's stream sees none of it.
            let other = try await SSEReader(port: port, user: "user_b", query: "?since=0")
            #expect(try await other.untilReady().map(\.event) == ["ready"])
        }
    }

    @Test("an idle stream gets heartbeat comments")
    func heartbeat() async throws {
        let gateway = try await TestGateway { $0.heartbeat = .milliseconds(100) }
        try await gateway.run(.live) { client in
            let reader = try await SSEReader(port: try #require(client.port))
            #expect(try await reader.untilReady().last?.id == "0")
            #expect(try await reader.next()?.comment == "heartbeat")
        }
    }

    @Test("a stream whose reader falls too far behind is ended; the reader resumes where it was")
    func slowReaderDropped() async throws {
        let gateway = try await TestGateway { $0.streamBuffer = 1 }
        try await gateway.run(.live) { client in
            let port = try #require(client.port)
            let reader = try await SSEReader(port: port)
            _ = try await reader.untilReady()
            // Many commits at once, with a buffer of one: the server ends the stream.
            try await gateway.services.stores.withTenant(.init("user_a")) { store in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<200 {
                        group.addTask {
                            let context = DecisionContext(actor: "user_a", tenant: "user_a", now: 0)
                            let event = try ThreadDecider.decide(.create(threadId: "t\(index)", kind: .chat, title: "x"), ThreadDecider.initialState, context)[0]
                            try await store.append([.init(type: event.type, schemaVersion: event.schemaVersion, data: event.data())],
                                                   to: event.stream)
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // The server must end the stream; a stream still open after 20 s fails the test instead of hanging it.
            let seen = try await withDeadline(.seconds(20)) {
                var seen: [String] = []
                while let message = try await reader.next() { if let id = message.id { seen.append(id) } }
                return seen
            }
            #expect(seen.count < 200)
            let resumed = try await SSEReader(port: port, lastEventID: seen.last ?? "0")
            let rest = try await resumed.untilReady().filter { $0.event == "change" }.compactMap(\.id)
            #expect(Set(seen).isDisjoint(with: rest))
            #expect(Set(seen + rest).count == 200)
        }
    }
}

extension StreamTests {
    @Test("a stream message's bytes are the JSON the writer makes of it: members in key order, strings escaped, deletes with a null row")
    func messageBytes() {
        let row: Projections.Row = ["title": "say \"hi\"\n", "id": "t1", "count": 2]
        let changes = [
            ProjectionChange(projection: "threads_index", collection: "threads", key: "t\"1", op: .upsert, row: row, position: 7),
            ProjectionChange(projection: "hatchery_graph", collection: "nodes", key: "n1", op: .delete, row: nil, position: 7),
        ]
        let expected: JSONValue = [
            "position": 7,
            "changes": [
                ["projection": "threads_index", "collection": "threads", "key": "t\"1", "op": "upsert", "row": row.json, "position": 7],
                ["projection": "hatchery_graph", "collection": "nodes", "key": "n1", "op": "delete", "row": .null, "position": 7],
            ],
        ]
        let message = String(buffer: ChangeStream.message(changes))
        #expect(message == "id: 7\nevent: change\ndata: \(JSONWriter.string(expected))\n\n")
    }
}
