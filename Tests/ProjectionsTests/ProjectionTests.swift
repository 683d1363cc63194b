@testable import Domain
import EventStore
import Foundation
import GRDB
@testable import Projections
import Synchronization
import Testing

/// A scratch tenant store with the tenant projector as its hook.
struct ProjectedStore {
    let directory: URL
    let store: EventStore
    let projector: Projector

    init(_ projector: Projector = .tenant()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("clawcloud-proj-\(UUID().uuidString)")
        var configuration = EventStore.Configuration()
        configuration.hook = projector
        configuration.durable = false
        let clock = Mutex<Int64>(1_764_000_000_000)
        configuration.clock = { clock.withLock { $0 += 1_000; return $0 } }
        store = try EventStore.open(.tenant(TenantID("user_1")), in: DataDirectory(directory), configuration: configuration)
        self.projector = projector
    }

    func append(_ events: [DomainEvent]) async throws {
        var parts: [StreamAppend] = []
        for event in events {
            let new = NewEvent(type: event.type, schemaVersion: event.schemaVersion, data: event.data(),
                               metadata: Data(#"{"actor":"user_1"}"#.utf8))
            if let last = parts.indices.last, parts[last].stream == event.stream {
                parts[last].events.append(new)
            } else {
                parts.append(StreamAppend(stream: event.stream, events: [new]))
            }
        }
        try await store.append(parts)
    }

    func close() async {
        try? await store.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A history that touches every tenant projection, made by the deciders.
func sampleHistory() throws -> [[DomainEvent]] {
    let ctx = DecisionContext(actor: "user_1", tenant: "user_1", now: 1_764_000_000_000, newID: { "x" })
    let access = AccessStatus(userAccess: true, waitlistApproved: false)
    var appends: [[DomainEvent]] = []
    let thread = try ThreadDecider.decide(.create(threadId: "t1", kind: .chat, title: "Hello"), ThreadDecider.initialState, ctx)
    appends.append(thread)
    var threadState = ThreadDecider.fold(thread)
    for index in 0..<5 {
        let message = try ThreadDecider.decide(.addMessage(threadId: "t1", messageId: "m\(index)", role: index % 2 == 0 ? .user : .assistant,
                                                           parts: [["type": "text", "text": .string("message \(index)")]]), threadState, ctx)
        threadState = ThreadDecider.fold(message, from: threadState)
        appends.append(message)
    }
    let hold = try ApprovalRelease.hold(.provision(instanceType: "standard"), approvalId: "ap1", target: .instance(InstanceDecider.initialState, access: access), ctx)
    appends.append(hold)
    let grant = try ApprovalRelease.grant(approvalId: "ap1", approval: ApprovalDecider.fold(hold), target: .instance(InstanceDecider.initialState, access: access), ctx)
    appends.append(grant)
    let instance = InstanceDecider.fold(grant)
    let ready = try InstanceDecider.decide(.recordProvisioned(runtimeName: "oc-user-1"), instance, ctx)
    appends.append(ready)
    appends.append(try ApprovalDecider.decide(.recordExecuted(approvalId: "ap1", outcome: .succeeded, detail: nil), ApprovalDecider.fold(hold + grant), ctx))
    let credits = try CreditsDecider.decide(.grant(grantId: "g1", amountMicros: 10_000_000, reason: "welcome"), CreditsDecider.initialState, ctx)
    appends.append(credits)
    appends.append(try CreditsDecider.decide(.charge(chargeId: "c1", amountMicros: 1_250_000, reason: .tokens, ref: "run:r1", approvalId: nil), CreditsDecider.fold(credits), ctx))
    appends.append(try RunDecider.decide(.start(runId: "r1", sessionKey: "agent:main:main", model: "openclaw:main", input: "hi"), RunDecider.initialState, ctx))
    appends.append(try RunDecider.decide(.complete(runId: "r1", text: "hello!", usage: TokenUsage(inputTokens: 10, outputTokens: 20)), RunDecider.State(status: .running), ctx))
    let device = ObservedDevice(requestId: "rq1", deviceId: "d1", role: "operator", platform: "ios", clientMode: "ui", displayName: "Phone",
                                scopes: ["operator.read"], createdAt: ctx.now)
    appends.append(try DevicePairingDecider.decide(.observe(requestId: "rq1", device: device, listed: true, paired: false), DevicePairingDecider.initialState, ctx))
    let code = ObservedPairingRequest(sender: "123", code: "ABCDEFGH", account: "default", createdAt: ctx.now)
    appends.append(try DmPairingDecider.decide(.observe(channel: "telegram", requests: [code], complete: true), DmPairingDecider.initialState, ctx))
    appends.append(try ExecApprovalDecider.decide(.request(id: "ex1", command: "ls", cwd: "/", host: "gateway", sessionKey: "agent:main:main", agentId: "main", allowedDecisions: nil, timeoutMs: nil), ExecApprovalDecider.initialState, ctx))
    appends.append(try ToolCallDecider.decide(.invoke(callId: "tc1", tool: "sessions_list", action: nil, argsDigest: String(repeating: "a", count: 64), sessionKey: "agent:main:main"), ToolCallDecider.initialState, ctx))
    return appends
}

@Suite("Projections")
struct ProjectionTests {
    @Test("projections are applied inline, in the append's transaction")
    func inline() async throws {
        let scratch = try ProjectedStore()
        for append in try sampleHistory() { try await scratch.append(append) }
        let threads = try await scratch.store.read { try scratch.projector.dump($0, "threads_index") }
        #expect(threads["threads"]?["t1"]?["messageCount"] == 5)
        #expect(threads["threads"]?["t1"]?["lastMessagePreview"] == "message 4")
        let billing = try await scratch.store.read { try scratch.projector.dump($0, "billing") }
        #expect(billing["summary"]?["summary"]?["balanceMicros"] == .integer(8_750_000))
        #expect(billing["summary"]?["summary"]?["balanceUsd"] == "8.75")
        let audit = try await scratch.store.read { try scratch.projector.dump($0, "audit") }
        guard case .object(let entries)? = audit["entries"] else { Issue.record("no audit"); return }
        #expect(entries.values.contains { $0["type"] == "approval.granted" && $0["actor"] == "user_1" && $0["hash"]?.stringValue?.count == 64 })
        #expect(entries.values.contains { $0["type"] == "credits.charged" && $0["amountMicros"] == 1_250_000 })
        let graph = try await scratch.store.read { try scratch.projector.dump($0, "hatchery") }
        #expect(graph["edges"]?["approval:ap1|approved|openclaw"] != nil)
        #expect(graph["edges"]?["session:agent:main:main|ran|run:r1"] != nil)
        #expect(graph["edges"]?["credits|charged|run:r1"] != nil)
        #expect(graph["nodes"]?["openclaw"]?["status"] == "live")
        await scratch.close()
    }

    @Test("a full rebuild gives byte-identical rows to the inline ones")
    func rebuildMatchesInline() async throws {
        let scratch = try ProjectedStore()
        for append in try sampleHistory() { try await scratch.append(append) }
        let names = scratch.projector.projections.map(\.name)
        let inline = try await scratch.store.read { db in try names.map { try scratch.projector.storedRows(db, $0) } }
        let synchronous = try await scratch.store.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        try await scratch.projector.rebuild(scratch.store)
        let rebuilt = try await scratch.store.read { db in try names.map { try scratch.projector.storedRows(db, $0) } }
        #expect(inline == rebuilt)
        #expect(inline.allSatisfy { !$0.isEmpty })
        // The rebuild loads its tables before indexing them: every table ends with the indexes an inline-built one has.
        let indexes = try await scratch.store.read { db in
            try scratch.projector.projections.flatMap { projection in
                try projection.collections.map { collection in
                    let table = try #require(try ProjectionCatalog.activeTable(db, projection.name, collection))
                    return try String.fetchAll(db, sql: "SELECT name FROM pragma_index_list(?) WHERE origin = 'c' ORDER BY name", arguments: [table])
                        .map { $0.replacingOccurrences(of: table, with: "") }
                }
            }
        }
        #expect(indexes.allSatisfy { $0 == ["_position", "_scope_sort"] })
        // The build's commits skip the fsync; the writer is left as the store configured it.
        let after = try await scratch.store.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(after == synchronous)
        await scratch.close()
    }

    @Test("rows the projector keeps between appends give way to a write around it, and to a write that rolls back")
    func rowCacheForgets() async throws {
        let scratch = try ProjectedStore()
        let history = try sampleHistory()
        // The thread and two messages: the next append finds the thread's row kept.
        for append in history.prefix(3) { try await scratch.append(append) }
        func messageCount() async throws -> JSONValue? {
            try await scratch.store.read { try scratch.projector.dump($0, "threads_index") }["threads"]?["t1"]?["messageCount"]
        }
        // A write around the projector (a repair, say) is what the next append builds on.
        try await scratch.store.write { db in
            let table = try #require(try ProjectionCatalog.activeTable(db, "threads_index", "threads"))
            try db.execute(sql: "UPDATE \"\(table)\" SET body = json_set(body, '$.messageCount', 40) WHERE key = 't1'")
        }
        try await scratch.append(history[3])
        #expect(try await messageCount() == 41)
        // Events applied inside a write that then fails (as a failed import's are) leave no trace.
        let message = try #require(try await scratch.store.read(after: 0, limit: 100).last { $0.type == "message.added" })
        let head = scratch.store.head
        struct Abandoned: Error {}
        await #expect(throws: Abandoned.self) {
            try await scratch.store.write { db in
                let again = RecordedEvent(position: head + 1, stream: message.stream, streamVersion: message.streamVersion + 1, id: UUID(),
                                          type: message.type, schemaVersion: message.schemaVersion, data: message.data,
                                          metadata: message.metadata, recordedAt: message.recordedAt, hash: message.hash)
                _ = try scratch.projector.apply([again], decoded: nil, db)
                throw Abandoned()
            }
        }
        try await scratch.append(history[4])
        #expect(try await messageCount() == 42)
        await scratch.close()
    }

    @Test("a deleted row leaves a tombstone for resuming readers, and a row written again takes it away")
    func tombstones() async throws {
        let scratch = try ProjectedStore()
        func secretChanges() async throws -> [ProjectionChange.Operation] {
            try await scratch.store.read { db in try scratch.projector.changes(db, after: 0) }
                .filter { $0.projection == "instance" && $0.collection == "secrets" && $0.key == "api-key" }.map(\.op)
        }
        try await scratch.append([.secretRotated(SecretRotated(name: "api-key", fingerprint: "f1"))])
        #expect(try await secretChanges() == [.upsert])
        try await scratch.append([.secretRemoved(SecretRemoved(name: "api-key"))])
        #expect(try await secretChanges() == [.delete])
        // The projector has learnt that the tombstones table is not empty: the new row clears its tombstone.
        try await scratch.append([.secretRotated(SecretRotated(name: "api-key", fingerprint: "f2"))])
        #expect(try await secretChanges() == [.upsert])
        await scratch.close()
    }

    @Test("appends after a rebuild are applied to the generation it swapped in")
    func appendsAfterRebuild() async throws {
        let scratch = try ProjectedStore()
        let history = try sampleHistory()
        for append in history.prefix(3) { try await scratch.append(append) }
        try await scratch.projector.rebuild(scratch.store)
        try await scratch.append(history[3])
        let threads = try await scratch.store.read { try scratch.projector.dump($0, "threads_index") }
        #expect(threads["threads"]?["t1"]?["messageCount"] == 3)
        await scratch.close()
    }

    @Test("a projection whose version changed is rebuilt into new tables and swapped in")
    func versionChange() async throws {
        let scratch = try ProjectedStore(Projector([ThreadsIndex()]))
        for append in try sampleHistory() { try await scratch.append(append) }
        let before = try await scratch.store.read { try ProjectionCatalog.entry($0, "threads_index") }
        #expect(before == .init(version: 1, generation: 1))
        let upgraded = Projector([Versioned(base: ThreadsIndex(), version: 2)])
        #expect(try await upgraded.prepare(scratch.store) == ["threads_index"])
        let after = try await scratch.store.read { db in
            (try ProjectionCatalog.entry(db, "threads_index"), try db.tableExists("proj_threads_index_threads_g1"))
        }
        #expect(after.0 == .init(version: 2, generation: 2))
        #expect(after.1 == false)
        #expect(try await upgraded.prepare(scratch.store).isEmpty)
        await scratch.close()
    }

    @Test("messages are numbered per thread from the highest order stored, in one append or across many, and a rebuild numbers them alike")
    func messageOrder() async throws {
        let scratch = try ProjectedStore(Projector([ThreadMessages()]))
        func message(_ thread: String, _ id: String) -> DomainEvent {
            .messageAdded(MessageAdded(threadId: thread, messageId: id, role: .user, parts: [["type": "text", "text": .string(id)]]))
        }
        try await scratch.append([message("a", "a0")])
        try await scratch.append([message("b", "b0")])
        try await scratch.append([message("a", "a1"), message("a", "a2")])
        try await scratch.append([message("b", "b1")])
        try await scratch.append([message("a", "a3")])
        let inline = try await scratch.store.read { try scratch.projector.dump($0, "thread_messages") }
        #expect(inline["messages"]?["a/0000000000000003"]?["id"] == "a3")
        #expect(inline["messages"]?["b/0000000000000001"]?["id"] == "b1")
        #expect(inline["messages"]?["a/0000000000000002"]?["order"] == 2)
        try await scratch.projector.rebuild(scratch.store)
        #expect(try await scratch.store.read { try scratch.projector.dump($0, "thread_messages") } == inline)
        await scratch.close()
    }

    @Test("tables of a generation a crash left behind (retired, or half built) are dropped when the store is prepared")
    func strayGenerations() async throws {
        let scratch = try ProjectedStore(Projector([ThreadsIndex()]))
        for append in try sampleHistory() { try await scratch.append(append) }
        try await scratch.store.write { db in
            try db.execute(sql: """
                CREATE TABLE proj_threads_index_threads_g0 (key TEXT PRIMARY KEY);
                CREATE TABLE proj_threads_index_threads_g7 (key TEXT PRIMARY KEY);
                CREATE TABLE proj_threads_index_threads_gx (key TEXT PRIMARY KEY);
                """)
        }
        #expect(try await scratch.projector.prepare(scratch.store).isEmpty)
        let tables = try await scratch.store.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'proj\\_%' ESCAPE '\\' ORDER BY name")
        }
        // The serving generation stays, and so does a table that only looks like one.
        #expect(tables == ["proj_threads_index_threads_g1", "proj_threads_index_threads_gx"])
        #expect(try await scratch.store.read { try scratch.projector.dump($0, "threads_index") }["threads"] != [:])
        await scratch.close()
    }

    @Test("changes are published after commit with their positions")
    func changesPublished() async throws {
        let scratch = try ProjectedStore()
        let stream = scratch.projector.changes.listen()
        try await scratch.append(try ThreadDecider.decide(.create(threadId: "t9", kind: .project, title: "P"), ThreadDecider.initialState,
                                                          DecisionContext(actor: "u", tenant: "user_1", now: 0)))
        var iterator = stream.makeAsyncIterator()
        let commit = await iterator.next() ?? []
        #expect(Set(commit.map(\.projection)) == ["threads_index", "hatchery"])
        let first = commit.first
        #expect(first?.projection == "threads_index")
        #expect(first?.key == "t9")
        #expect(first?.op == .upsert)
        #expect(first?.position == 1)
        await scratch.close()
    }
}

@Suite("Admin directory")
struct AdminDirectoryTests {
    @Test("users with access flags and the waitlist with approval state")
    func adminViews() async throws {
        let scratch = try ProjectedStore(.platform())
        let admin = DecisionContext(actor: "user_admin", tenant: "platform", now: 0)
        try await scratch.append(try AccessDecider.decide(.register(userId: "user_1", kind: .human, email: "Ada@Example.com", name: "Ada"), AccessDecider.initialState, admin))
        try await scratch.append(try AccessDecider.decide(.setAccess(userId: "user_2", enabled: true), AccessDecider.initialState, admin))
        let joined = try AccessDecider.decide(.joinWaitlist(email: "b@example.com", source: nil), AccessDecider.initialState, admin)
        try await scratch.append(joined)
        let approved = try AccessDecider.decide(.setWaitlistApproval(email: "b@example.com", approved: true), AccessDecider.fold(joined), admin)
        try await scratch.append(approved)
        try await scratch.append(try AccessDecider.decide(.setWaitlistApproval(email: "b@example.com", approved: false), AccessDecider.fold(joined + approved), admin))
        let dump = try await scratch.store.read { try scratch.projector.dump($0, "admin") }
        #expect(dump["users"]?["user_1"]?["email"] == "ada@example.com")
        #expect(dump["users"]?["user_1"]?["accessEnabled"] == false)
        #expect(dump["users"]?["user_2"]?["accessEnabled"] == true)
        #expect(dump["users"]?["user_2"]?["accessUpdatedBy"] == "user_admin")
        #expect(dump["waitlist"]?["b@example.com"]?["approved"] == false)
        #expect(dump["waitlist"]?["b@example.com"]?["approvedAt"] == .null)
        await scratch.close()
    }
}

/// A projection with another version number (as after a code change).
struct Versioned: Projection {
    let base: any Projection
    let version: Int
    var name: String { base.name }
    var collections: [String] { base.collections }
    func apply(_ event: DomainEvent, _ context: EventContext, _ rows: ProjectionRows) throws { try base.apply(event, context, rows) }
}
