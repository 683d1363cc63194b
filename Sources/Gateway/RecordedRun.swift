import Domain
import EventStore
import NIOCore

/// A chat run as the log holds it, for answering a retried `POST /api/openclaw/chat` (same
/// `Idempotency-Key`) without running the model again: a completed run is sent again as an
/// OpenResponses stream of its recorded text and usage; a failed one as its failure; one still
/// running is a conflict.
struct RecordedRun {
    let started: RunStarted
    let events: [DomainEvent]

    /// The run's events, read from `store`.
    static func read(_ started: RunStarted, in store: EventStore) async throws -> RecordedRun {
        let recorded = try await store.readStream(Streams.run(started.runId), from: 1)
        return RecordedRun(started: started, events: try recorded.map(DomainEvent.init))
    }

    /// The stream to answer with, in the runtime's event order, ending with `data: [DONE]`.
    func replay() throws -> ByteBuffer {
        for event in events {
            if case .runFailed(let failed) = event { throw RuntimeError(status: 502, message: failed.error) }
            if case .runCompleted(let completed) = event { return Self.stream(started, completed) }
        }
        throw APIError(.conflict, "the first request with this Idempotency-Key is still running (run \(started.runId))")
    }

    private static func stream(_ started: RunStarted, _ completed: RunCompleted) -> ByteBuffer {
        let itemID: JSONValue = .string("msg_\(started.runId)")
        let text: JSONValue = .string(completed.text)
        let message: JSONValue = ["type": "message", "id": itemID, "role": "assistant", "status": "completed",
                                  "content": [["type": "output_text", "text": text]]]
        func response(_ status: String, output: [JSONValue], usage: JSONValue? = nil) -> JSONValue {
            var response: [String: JSONValue] = ["id": .string("resp_\(started.runId)"), "object": "response", "status": .string(status),
                                                 "model": .string(started.model), "output": .array(output)]
            if let usage { response["usage"] = usage }
            return .object(response)
        }
        let usage: JSONValue = ["input_tokens": .integer(completed.usage.inputTokens), "output_tokens": .integer(completed.usage.outputTokens),
                                "total_tokens": .integer(completed.usage.totalTokens)]
        let events: [(String, [String: JSONValue])] = [
            ("response.created", ["response": response("in_progress", output: [])]),
            ("response.output_text.delta", ["item_id": itemID, "output_index": 0, "content_index": 0, "delta": text]),
            ("response.output_text.done", ["item_id": itemID, "output_index": 0, "content_index": 0, "text": text]),
            ("response.output_item.done", ["output_index": 0, "item": message]),
            ("response.completed", ["response": response("completed", output: [message], usage: usage)]),
        ]
        var buffer = ByteBuffer()
        for (type, payload) in events {
            var payload = payload
            payload["type"] = .string(type)
            buffer.writeString("event: \(type)\ndata: ")
            buffer.writeBytes(JSONWriter.data(.object(payload)))
            buffer.writeString("\n\n")
        }
        buffer.writeString("data: [DONE]\n\n")
        return buffer
    }
}
