import Domain
import Foundation
import Projections
import Testing

/// fixtures/tenants, found from this file's location.
let fixturesRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("fixtures/tenants")

@Suite("Fixture replay")
struct FixtureReplayTests {
    static let names = ((try? Fixture.all(in: fixturesRoot)) ?? []).map(\.name)

    @Test("the repository holds at least six histories, together using every event type")
    func coverage() throws {
        #expect(Self.names.count >= 6)
        var types = Set<String>()
        for name in Self.names {
            let fixture = Fixture(fixturesRoot.appendingPathComponent(name))
            for file in [fixture.events, fixture.platformEvents] where FileManager.default.fileExists(atPath: file.path) {
                for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                    if case .string(let type)? = try JSONParser.parse(Data(line.utf8))["type"] { types.insert(type) }
                }
            }
        }
        #expect(Set(DomainEvent.types).subtracting(types).isEmpty, "types no fixture uses")
    }

    @Test("replaying each history gives its expected projections, and a full rebuild gives the same bytes", arguments: names)
    func replay(name: String) async throws {
        let fixture = Fixture(fixturesRoot.appendingPathComponent(name))
        let replay = try await fixture.replay(checkRebuild: true)
        #expect(replay.projections.count >= 9)
        let differences = try fixture.differences(replay)
        #expect(differences.isEmpty, "differences: \(differences)")
        #expect(replay.rebuildMismatches.isEmpty)
    }

    @Test("the long history is at least 50,000 events")
    func longHistory() async throws {
        let file = fixturesRoot.appendingPathComponent("long-history/events.jsonl")
        let lines = try Data(contentsOf: file).reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        #expect(lines >= 50_000)
    }

    @Test("a history holds a thread.created at schema version 1, read through the upcaster")
    func upcastFixture() async throws {
        let fixture = Fixture(fixturesRoot.appendingPathComponent("new-user-first-chat"))
        let log = try String(contentsOf: fixture.events, encoding: .utf8)
        #expect(log.contains(#""type":"thread.created","schema_version":1"#))
        #expect(log.contains(#""data":{"threadId":"thr_first","title":"New chat","type":"chat"}"#))
        let replay = try await fixture.replay()
        #expect(replay.projections["threads_index"]?["threads"]?["thr_first"]?["kind"] == "chat")
    }

    @Test("a changed expectation is reported with the row and field that differ, and --update's output matches again")
    func mismatchIsReported() async throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("clawcloud-fixture-\(UUID().uuidString)/credits")
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixturesRoot.appendingPathComponent("credits"), to: copy)
        let fixture = Fixture(copy)
        let billing = fixture.expectedDirectory.appendingPathComponent("billing.json")
        let edited = try String(contentsOf: billing, encoding: .utf8).replacingOccurrences(of: #""balanceUsd": "20.28""#, with: #""balanceUsd": "20.29""#)
        try edited.write(to: billing, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: fixture.expectedDirectory.appendingPathComponent("devices.json"))

        let replay = try await fixture.replay()
        let differences = try fixture.differences(replay)
        #expect(differences["billing"] == [#"summary.summary.balanceUsd: expected "20.29", got "20.28""#])
        #expect(differences["devices"] == ["no expected/devices.json (write it with --update)"])
        #expect(differences.count == 2)

        try fixture.writeExpected(replay)
        #expect(try fixture.differences(replay).isEmpty)
    }
}
