import EventStore
import Foundation
import GRDB
import Testing

@Suite("Hash chain")
struct VerifyTests {
    @Test("an intact log verifies")
    func intact() async throws {
        try await withScratchStore { store, _ in
            for index in 0..<25 { try await store.append([event("e\(index)")], to: "s-\(index % 4)") }
            let report = try await store.verify()
            #expect(report.isIntact)
            #expect(report.eventsVerified == 25)
        }
    }

    @Test("one changed byte in a stored event is found, with its position", arguments: ["data", "metadata", "type", "stream", "recorded_at", "hash"])
    func tamperedColumn(column: String) async throws {
        try await withScratchStore { store, scratch in
            for index in 0..<12 { try await store.append([event("e\(index)")], to: "s-\(index % 3)") }
            try await store.close()
            // An attacker with plain SQL: drop the guard, change one byte of position 7.
            let queue = try DatabaseQueue(path: store.url.path)
            try await queue.write { db in
                try db.execute(sql: "DROP TRIGGER events_are_append_only_update")
                switch column {
                case "recorded_at":
                    try db.execute(sql: "UPDATE events SET recorded_at = recorded_at + 1 WHERE position = 7")
                case "hash":
                    try db.execute(sql: "UPDATE events SET hash = zeroblob(32) WHERE position = 7")
                case "data", "metadata":
                    try db.execute(sql: "UPDATE events SET \(column) = CAST(replace(CAST(\(column) AS TEXT), '}', ' }') AS BLOB) WHERE position = 7")
                default:
                    try db.execute(sql: "UPDATE events SET \(column) = \(column) || 'x' WHERE position = 7")
                }
            }
            try queue.close()
            let reopened = try EventStore.open(.tenant(TenantID("user_test")), in: scratch.data)
            let report = try await reopened.verify()
            #expect(report.firstBadPosition == 7)
            #expect(report.eventsVerified == 6)
            #expect(report.problems.contains { $0.contains("append-only trigger") })
            try await reopened.close()
        }
    }

    @Test("a removed event is found as a gap")
    func removedEvent() async throws {
        try await withScratchStore { store, scratch in
            for index in 0..<5 { try await store.append([event("e\(index)")], to: "s") }
            try await store.close()
            let queue = try DatabaseQueue(path: store.url.path)
            try await queue.write { db in
                try db.execute(sql: "DROP TRIGGER events_are_append_only_delete")
                try db.execute(sql: "DELETE FROM events WHERE position = 3")
            }
            try queue.close()
            let reopened = try EventStore.open(.tenant(TenantID("user_test")), in: scratch.data)
            #expect(try await reopened.verify().firstBadPosition == 3)
            try await reopened.close()
        }
    }

    @Test("`clawcloud verify` exits 1 and names the first bad position")
    func cli() async throws {
        try await withScratchStore { store, scratch in
            for index in 0..<6 { try await store.append([event("e\(index)")], to: "s") }
            try await store.close()
            let good = try runProduct("clawcloud", ["verify", "--data", scratch.url.path, "--tenant", "user_test"])
            #expect(good.status == 0)
            #expect(good.out.contains("ok"))
            let queue = try DatabaseQueue(path: store.url.path)
            try await queue.write { db in
                try db.execute(sql: "DROP TRIGGER events_are_append_only_update")
                try db.execute(sql: "UPDATE events SET data = CAST('{\"label\":\"forged\"}' AS BLOB) WHERE position = 4")
            }
            try queue.close()
            let bad = try runProduct("clawcloud", ["verify", "--data", scratch.url.path, "--tenant", "user_test"])
            #expect(bad.status == 1)
            #expect(bad.out.contains("first bad position 4"))
            let all = try runProduct("clawcloud", ["verify", "--data", scratch.url.path])
            #expect(all.status == 1)
        }
    }
}
