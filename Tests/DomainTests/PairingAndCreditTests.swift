@testable import Domain
import Testing

@Suite("Pairing, threads and credits")
struct PairingAndCreditTests {
    @Test("DM pairing codes are the runtime's: new codes recorded once with their TTL, codes that leave the list expire, unknown codes cannot be approved")
    func dmPairing() throws {
        func code(_ sender: String, _ code: String, at: Millis = 0) -> ObservedPairingRequest {
            ObservedPairingRequest(sender: sender, code: code, account: "default", createdAt: at)
        }
        let listed = [code("tg:1", "ABCDEFGH"), code("tg:2", "JKLMNPQR")]
        let first = try when(DmPairingDecider.self, .observe(channel: "telegram", requests: listed, complete: true), context(now: 10))
        #expect(first == [
            .dmPairingRequested(DmPairingRequested(channel: "telegram", account: "default", peer: "tg:1", requestId: "tg:1", code: "ABCDEFGH", expiresAt: Expiry.dmPairing)),
            .dmPairingRequested(DmPairingRequested(channel: "telegram", account: "default", peer: "tg:2", requestId: "tg:2", code: "JKLMNPQR", expiresAt: Expiry.dmPairing)),
        ])
        // The same list again records nothing; a code that left it has expired.
        #expect(try when(DmPairingDecider.self, given: first, .observe(channel: "telegram", requests: listed, complete: true)).isEmpty)
        #expect(try when(DmPairingDecider.self, given: first, .observe(channel: "telegram", requests: [listed[1]], complete: true))
            == [.dmPairingExpired(DmPairingExpired(channel: "telegram", code: "ABCDEFGH"))])
        // A push names one code: it expires nothing.
        #expect(try when(DmPairingDecider.self, given: first, .observe(channel: "telegram", requests: [code("tg:3", "STUVWXYZ")], complete: false)).count == 1)
        #expect(domainError { try when(DmPairingDecider.self, given: first, .observe(channel: "telegram", requests: [code("tg:3", "abc")], complete: true)) } != nil)
        #expect(domainError { try when(DmPairingDecider.self, given: first, .approve(channel: "telegram", code: "ZZZZZZZZ", notify: false, approvalId: "a")) }
            == .notFound("no pending pairing code ZZZZZZZZ on telegram"))
        let hourLater = context(now: Expiry.dmPairing)
        #expect(domainError { try when(DmPairingDecider.self, given: first, .approve(channel: "telegram", code: "ABCDEFGH", notify: true, approvalId: "a"), hourLater) }
            == .conflict("pairing code ABCDEFGH expired"))
        #expect(try when(DmPairingDecider.self, given: first, .expire(channel: "telegram"), hourLater).count == 2)
    }

    @Test("thread kinds and append-only messages: a retried message is a no-op, a reused id with other content a conflict")
    func threads() throws {
        let created = try when(ThreadDecider.self, .create(threadId: "t1", kind: .project, title: nil))
        #expect(created == [.threadCreated(ThreadCreated(threadId: "t1", kind: .project, title: "New Chat"))])
        let parts: [JSONValue] = [["type": "text", "text": "hi"]]
        let added = try when(ThreadDecider.self, given: created, .addMessage(threadId: "t1", messageId: "m1", role: .user, parts: parts))
        #expect(added.count == 1)
        #expect(try when(ThreadDecider.self, given: created + added, .addMessage(threadId: "t1", messageId: "m1", role: .user, parts: parts)).isEmpty)
        #expect(domainError { try when(ThreadDecider.self, given: created + added, .addMessage(threadId: "t1", messageId: "m1", role: .user, parts: [["type": "text", "text": "edited"]])) }
            == .conflict("message m1 already exists with other content"))
        #expect(domainError { try when(ThreadDecider.self, .addMessage(threadId: "t9", messageId: "m1", role: .user, parts: parts)) } == .notFound("thread not found"))
    }

    @Test("credits: a charge above the limit or the balance needs approval; refunds never exceed the charge")
    func credits() throws {
        let granted = try when(CreditsDecider.self, .grant(grantId: "g1", amountMicros: 5_000_000, reason: "monthly"))
        let limit = try when(CreditsDecider.self, given: granted, .setSpendLimit(limitMicros: 1_000_000))
        let history = granted + limit
        #expect(domainError { try when(CreditsDecider.self, given: history, .charge(chargeId: "c1", amountMicros: 2_000_000, reason: .tokens, ref: "run-1", approvalId: nil)) }
            == .approvalRequired("$2.00 is above the spend limit of $1.00"))
        let charged = try when(CreditsDecider.self, given: history, .charge(chargeId: "c1", amountMicros: 800_000, reason: .tokens, ref: "run-1", approvalId: nil))
        #expect(CreditsDecider.fold(history + charged).balance == 4_200_000)
        let drained = [DomainEvent.creditsCharged(CreditsCharged(chargeId: "c2", amountMicros: 4_200_000, reason: .containerTime, ref: "x", approvalId: "ap"))]
        #expect(domainError { try when(CreditsDecider.self, given: history + charged + drained, .charge(chargeId: "c3", amountMicros: 1, reason: .tokens, ref: "r", approvalId: nil)) }
            == .approvalRequired("$0.00 is more than the balance of $0.00"))
        #expect(domainError { try when(CreditsDecider.self, given: history + charged, .refund(chargeId: "c1", amountMicros: 900_000, reason: "oops")) } != nil)
        #expect(try when(CreditsDecider.self, given: history + charged, .refund(chargeId: "c1", amountMicros: 800_000, reason: "oops")).count == 1)
        #expect(domainError { try when(CreditsDecider.self, .grant(grantId: "g", amountMicros: 0, reason: "x")) } == .invalid("amountMicros must be greater than zero"))
        #expect(domainError { try when(CreditsDecider.self, .grant(grantId: "g", amountMicros: CreditsDecider.maxGrant + 1, reason: "x")) }
            == .invalid("amountMicros must be at most 1000000000000000"))
    }

    @Test("an approved charge may take the balance below zero")
    func approvedOverdraft() throws {
        let state = CreditsDecider.initialState
        let target = ApprovalRelease.Target.credits(state)
        let action = HeldAction.charge(chargeId: "c1", amountMicros: 3_000_000, reason: .tokens, ref: "run-9")
        let request = try ApprovalRelease.hold(action, approvalId: "ap", target: target, context())
        let released = try ApprovalRelease.grant(approvalId: "ap", approval: ApprovalDecider.fold(request), target: target, context())
        #expect(released.map(\.type) == ["approval.granted", "credits.charged", "approval.executed"])
        #expect(CreditsDecider.fold(released).balance == -3_000_000)
    }

    @Test("money formats half away from zero in integer arithmetic")
    func money() {
        #expect(Money.usd(1_234_999) == "$1.23")
        #expect(Money.usd(1_235_000) == "$1.24")
        #expect(Money.usd(-5_000) == "-$0.01")
        #expect(Money.usd(0) == "$0.00")
    }
}
