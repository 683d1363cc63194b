import Domain
import Foundation
import NIOCore

/// Reads what the runtime answers on `/v1/responses`. The runtime labels every answer
/// `text/event-stream`; what it is shows in its content:
/// - an OpenResponses event stream (the text deltas, then `response.completed` with usage, or
///   `response.failed`), read as bytes: an event is decoded only once its closing blank line has
///   arrived, so a character split across chunks is whole when decoded;
/// - one JSON `ResponseResource` (a chat without `stream:true`), or a gateway error
///   `{error:{message, type}}`.
struct OpenResponsesReader {
    enum Result: Equatable {
        case completed(text: String, usage: TokenUsage, incomplete: Bool)
        case failed(String)
    }

    /// What an answer is, told from its first non-blank byte.
    enum Kind { case stream, document }

    private var pending: [UInt8] = []
    private var text = ""
    private var ending: Result?

    /// The kind of answer `bytes` begin (nil while they are all blank).
    static func kind(of bytes: ByteBuffer) -> Kind? {
        guard let first = bytes.readableBytesView.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { return nil }
        return first == UInt8(ascii: "{") ? .document : .stream
    }

    /// Feeds a chunk of an event stream.
    mutating func feed(_ chunk: ByteBuffer) {
        pending.append(contentsOf: chunk.readableBytesView)
        var start = 0
        var index = 0
        while index + 1 < pending.count {
            if pending[index] == 0x0A, pending[index + 1] == 0x0A {
                event(String(decoding: pending[start..<index], as: UTF8.self))
                start = index + 2
                index = start
            } else {
                index += 1
            }
        }
        pending.removeFirst(start)
    }

    private mutating func event(_ block: String) {
        for line in block.split(separator: "\n") where line.hasPrefix("data:") {
            let data = line.dropFirst(5).drop(while: { $0 == " " })
            guard data != "[DONE]", let event = try? JSONParser.parse(Data(data.utf8)) else { continue }
            switch event["type"]?.stringValue {
            case "response.output_text.delta": text += event["delta"]?.stringValue ?? ""
            case "response.output_text.done": text = event["text"]?.stringValue ?? text
            case "response.completed": ending = Self.resource(event["response"] ?? .null, streamedText: text)
            case "response.failed": ending = .failed(event["response"]?["error"]?["message"]?.stringValue ?? "the run failed")
            default: break
            }
        }
    }

    /// How the stream ended (a stream cut short before its end is a failure).
    var result: Result { ending ?? .failed("the runtime stream ended before response.completed") }

    /// How a JSON answer ends the run: a `ResponseResource` by its status, a gateway error by its message.
    static func document(_ value: JSONValue) -> Result {
        if let error = value["error"], value["object"] != "response" {
            return .failed(error["message"]?.stringValue ?? "the gateway refused the request")
        }
        guard value["object"] == "response" else { return .failed("the runtime answered something that is not an OpenResponses response") }
        return resource(value, streamedText: nil)
    }

    /// The `output_text` parts of a response's output, joined.
    private static func outputText(_ response: JSONValue) -> String {
        var text = ""
        for item in response["output"]?.arrayValue ?? [] {
            for part in item["content"]?.arrayValue ?? [] where part["type"] == "output_text" {
                text += part["text"]?.stringValue ?? ""
            }
        }
        return text
    }

    /// A `ResponseResource`: `completed` or `incomplete` with its text and usage, or `failed`.
    private static func resource(_ response: JSONValue, streamedText: String?) -> Result {
        switch response["status"]?.stringValue {
        case "failed":
            return .failed(response["error"]?["message"]?.stringValue ?? "the run failed")
        case let status:
            let usage = TokenUsage(inputTokens: response["usage"]?["input_tokens"]?.integerValue ?? 0,
                                   outputTokens: response["usage"]?["output_tokens"]?.integerValue ?? 0)
            return .completed(text: streamedText ?? outputText(response), usage: usage, incomplete: status == "incomplete")
        }
    }
}
