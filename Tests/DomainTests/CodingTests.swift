@testable import Domain
import Foundation
import Testing

@Suite("Event coding and upcasting")
struct CodingTests {
    @Test("every event type round-trips through its stored form")
    func roundTrip() throws {
        let samples: [DomainEvent] = [
            .threadCreated(ThreadCreated(threadId: "t1", kind: .chat, title: "Hi \"there\"\n")),
            .messageAdded(MessageAdded(threadId: "t1", messageId: "m1", role: .assistant, parts: [["type": "text", "text": "é ✓ \u{1F600}"]])),
            .approvalRequested(ApprovalRequested(
                approvalId: "a", action: .approveDmPairing(channel: "telegram", code: "ABCDEFGH", notify: true), summary: "s", risk: .medium,
                costEstimateMicros: nil, toolName: "t", toolInput: ["x": 1], requestedBy: "u", expiresAt: 5)),
            .creditsCharged(CreditsCharged(chargeId: "c", amountMicros: Int64.max, reason: .backupStorage, ref: "r", approvalId: nil)),
            .effectStarted(EffectStarted(effectId: "approval:a1", kind: "restart", attempt: 1, boot: "b")),
            .effectNotApplied(EffectNotApplied(effectId: "approval:a1", reason: "observed: no backup since the attempt")),
            .toolOutcomeUnknown(ToolOutcomeUnknown(callId: "c1", reason: "timeout")),
            .sessionSendEnded(SessionSendEnded(key: "agent:main:main", status: "timeout", runId: "r1", error: nil)),
            .approvalExecuted(ApprovalExecuted(approvalId: "a1", outcome: .succeeded, detail: "observed: the gateway is running", observed: true)),
            .instanceProvisionRequested(InstanceProvisionRequested(instanceType: "standard", approvalId: "a1", sandboxId: SandboxID.of(tenant: "user_1"))),
        ]
        for event in samples {
            let decoded = try DomainEvent.decode(type: event.type, schemaVersion: event.schemaVersion, data: event.data())
            #expect(decoded == event)
        }
        #expect(DomainEvent.types.count == Set(DomainEvent.types).count)
        #expect(DomainEvent.types.count == 66)
    }

    @Test("thread.created v1 (`type`) is upcast to v2 (`kind`) on read")
    func upcast() throws {
        let v1 = Data(#"{"threadId":"t1","title":"Old","type":"project"}"#.utf8)
        #expect(try DomainEvent.decode(type: "thread.created", schemaVersion: 1, data: v1)
            == .threadCreated(ThreadCreated(threadId: "t1", kind: .project, title: "Old")))
        #expect(throws: DomainError.self) { try DomainEvent.decode(type: "thread.created", schemaVersion: 3, data: v1) }
        #expect(DomainEvent.threadCreated(ThreadCreated(threadId: "t", kind: .chat, title: "x")).schemaVersion == 2)
    }

    @Test("a payload that does not match its type names the field")
    func fieldErrors() {
        let bad = Data(#"{"threadId":"t1","messageId":"m","role":"user","parts":[{"type":1}]}"#.utf8)
        #expect(throws: DomainError.self) { try DomainEvent.decode(type: "message.added", schemaVersion: 1, data: Data(#"{"threadId":"t1"}"#.utf8)) }
        do {
            _ = try DomainEvent.decode(type: "credits.granted", schemaVersion: 1, data: Data(#"{"grantId":"g","amountMicros":1.5,"reason":"r","by":"u"}"#.utf8))
            Issue.record("a fractional amount decoded")
        } catch {
            #expect("\(error)".contains("amountMicros"))
        }
        #expect((try? DomainEvent.decode(type: "message.added", schemaVersion: 1, data: bad)) != nil)
    }

    @Test("the JSON writer sorts keys and escapes; the parser refuses what is not JSON", arguments: [
        "{", "[1,]", "{\"a\":1,\"a\":2}", "01", "\"\u{01}\"", "tru", "1 2", "\"\\x\"", "{\"a\" 1}",
    ])
    func parserRefuses(text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Data(text.utf8)) }
    }

    @Test("integers as JSON Schema has them: a number with no fraction, up to 2^53 as a double")
    func integralNumbers() throws {
        struct Count: Decodable, Equatable { var n: Int64 }
        func count(_ json: String) throws -> Count { try JSONValueDecoder.decode(Count.self, from: try JSONParser.parse(Data(json.utf8))) }
        #expect(try count(#"{"n":2214}"#) == Count(n: 2214))
        #expect(try count(#"{"n":2214.0}"#) == Count(n: 2214))
        #expect(try count(#"{"n":-9007199254740992.0}"#) == Count(n: -9_007_199_254_740_992))
        for bad in [#"{"n":2214.5}"#, #"{"n":1e300}"#, #"{"n":"2214"}"#] {
            #expect(throws: (any Error).self, "\(bad)") { try count(bad) }
        }
    }

    @Test("writer output is canonical")
    func canonical() throws {
        let value = try JSONParser.parse(Data(#"{"b":[1,-2,3.5,"\u00e9\n"],"a":{"z":null,"y":true}}"#.utf8))
        #expect(JSONWriter.string(value) == #"{"a":{"y":true,"z":null},"b":[1,-2,3.5,"é\n"]}"#)
        let tricky = "a\"b\\c\u{01}\t\r\n✓/é end"
        #expect(JSONWriter.string(.string(tricky)) == #""a\"b\\c\u0001\t\r\n✓/é end""#)
        #expect(try JSONParser.parse(JSONWriter.data(.string(tricky))) == .string(tricky))
        #expect(JSONWriter.string(.string("")) == #""""#)
        #expect(String(decoding: JSONWriter.pretty(["b": [1, [:]], "a": []]), as: UTF8.self) == "{\n  \"a\": [],\n  \"b\": [\n    1,\n    {}\n  ]\n}\n")
        #expect(try JSONParser.parse(Data("-9223372036854775808".utf8)) == .integer(.min))
        #expect(try JSONParser.parse(Data("9223372036854775808".utf8)) == .double(9223372036854775808))
    }

    private struct Nested: Codable, Equatable {
        struct Part: Codable, Equatable {
            var kind: String
            var counts: [Int64]
            var note: String?
        }
        var name: String
        var flag: Bool
        var parts: [Part]
        var byKey: [String: Part]
        var tags: [String]
        var missing: Int?
        var empty: [String: Int]
    }

    @Test("the value encoder writes what Foundation's sorted-key encoder writes, nested containers included")
    func encoderMatchesFoundation() throws {
        let value = Nested(
            name: "n \"q\" é", flag: true,
            parts: [.init(kind: "a", counts: [1, -2, .max], note: nil), .init(kind: "b", counts: [], note: "x")],
            byKey: ["z": .init(kind: "c", counts: [3], note: "y"), "a": .init(kind: "d", counts: [0], note: nil)],
            tags: ["t1", "t2"], missing: nil, empty: [:])
        let foundation = JSONEncoder()
        foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: try JSONValueEncoder.data(value), as: UTF8.self) == String(decoding: try foundation.encode(value), as: UTF8.self))
        #expect(try JSONValueDecoder.decode(Nested.self, from: JSONValueEncoder.encode(value)) == value)
    }
}

@Suite("Exact decimals")
struct DecimalTests {
    @Test("money as a JSON number is written from the integer, digit for digit", arguments: [
        (Int64(4_999_986), "4.999986"), (5_000_000, "5"), (2_500_000, "2.5"), (1, "0.000001"), (-50, "-0.00005"), (0, "0"),
        (Int64.max, "9223372036854.775807"), (-1_000_000_000_000_001, "-1000000000.000001"),
    ])
    func decimals(micros: Int64, text: String) throws {
        #expect(JSONWriter.string(Money.usdNumber(micros)) == text)
        // What a client parses back is the same number.
        #expect(try JSONParser.parse(Data(text.utf8)) == (text.contains(".") ? .double(Double(text)!) : .integer(Int64(text)!)))
    }
}
