@testable import Domain
import Testing

@Suite("Pairing, threads and credits")
struct PairingAndCreditTests {
    @Test("DM pairing codes: 8 characters of the unambiguous alphabet, 1 hour, at most 3 pending per account")
    func dmPairing() throws {
        var history: [DomainEvent] = []
        let ctx = context(now: 0, codes: ["0OIL1234", "ABCDEFGH", "JKLMNPQR", "STUVWXYZ", "23456789"])
        for peer in ["p1", "p2", "p3"] {
            history += try when(DmPairingDecider.self, given: history, .request(channel: "telegram", account: nil, peer: peer, requestId: "r-\(peer)"), ctx)
        }
        let codes = history.compactMap { if case .dmPairingRequested(let e) = $0 { e.code } else { nil } }
        #expect(codes == ["ABCDEFGH", "JKLMNPQR", "STUVWXYZ"])  // the invalid candidate was skipped
        #expect(codes.allSatisfy(PairingCode.isValid))
        #expect(try when(DmPairingDecider.self, given: history, .request(channel: "telegram", account: nil, peer: "p1", requestId: "again"), ctx).isEmpty)
        #expect(domainError { try when(DmPairingDecider.self, given: history, .request(channel: "telegram", account: nil, peer: "p4", requestId: "r4"), ctx) } != nil)
        // Another account of the channel has its own three.
        #expect(try when(DmPairingDecider.self, given: history, .request(channel: "telegram", account: "work", peer: "p4", requestId: "r4"), ctx).count == 1)
        let hourLater = context(now: Expiry.dmPairing)
        #expect(domainError { try when(DmPairingDecider.self, given: history, .approve(channel: "telegram", code: "ABCDEFGH", notify: true, approvalId: "a"), hourLater) }
            == .conflict("pairing code ABCDEFGH expired"))
        #expect(try when(DmPairingDecider.self, given: history, .expire(channel: "telegram"), hourLater).count == 3)
    }

    @Test("device pairing requests expire after 5 minutes")
    func devicePairing() throws {
        let request = try when(DevicePairingDecider.self, .request(requestId: "rq1", deviceId: "dev1", role: "operator", platform: "ios", mode: "ui", displayName: nil, scopes: []), context(now: 0))
        #expect(try when(DevicePairingDecider.self, given: request, .approve(requestId: "rq1", approvalId: "a"), context(now: Expiry.devicePairing - 1)).count == 1)
        #expect(domainError { try when(DevicePairingDecider.self, given: request, .approve(requestId: "rq1", approvalId: "a"), context(now: Expiry.devicePairing)) }
            == .conflict("pairing request rq1 expired"))
        #expect(try when(DevicePairingDecider.self, given: request, .expire(requestId: "rq1"), context(now: Expiry.devicePairing))
            == [.deviceExpired(DeviceExpired(requestId: "rq1", deviceId: "dev1"))])
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
