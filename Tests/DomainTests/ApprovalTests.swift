@testable import Domain
import Testing

@Suite("Approvals")
struct ApprovalTests {
    let ready: [DomainEvent] = [
        .instanceProvisionRequested(InstanceProvisionRequested(instanceType: "standard", approvalId: "a0")),
        .instanceProvisioned(InstanceProvisioned(runtimeName: "oc")),
    ]

    func requested(_ action: HeldAction, target: ApprovalRelease.Target) throws -> [DomainEvent] {
        try ApprovalRelease.hold(action, approvalId: "ap1", target: target, context(now: 1_000))
    }

    @Test("a held restart is requested with the tool-gate fields, and its grant releases the restart in the same append")
    func holdAndRelease() throws {
        let target = ApprovalRelease.Target.instance(InstanceDecider.fold(ready), access: .init(userAccess: true, waitlistApproved: false))
        let request = try requested(.restart, target: target)
        guard case .approvalRequested(let held)? = request.first else { Issue.record("no request"); return }
        #expect(held.toolName == "openclaw_restart")
        #expect(held.summary == "Restart the OpenClaw gateway.")
        #expect(held.expiresAt == 1_000 + Expiry.approval)
        let granted = try ApprovalRelease.grant(approvalId: "ap1", approval: ApprovalDecider.fold(request), target: target, context(now: 2_000))
        #expect(granted == [
            .approvalGranted(ApprovalGranted(approvalId: "ap1", by: "user_admin")),
            .instanceRestartRequested(InstanceRestartRequested(approvalId: "ap1")),
        ])
        #expect(Set(granted.map(\.stream)) == ["approval-ap1", "instance"])
    }

    @Test("granting twice, or granting a denied or expired approval, is an error")
    func grantOnce() throws {
        let target = ApprovalRelease.Target.instance(InstanceDecider.fold(ready), access: .init(userAccess: true, waitlistApproved: false))
        let request = try requested(.restart, target: target)
        let grant = [DomainEvent.approvalGranted(ApprovalGranted(approvalId: "ap1", by: "u"))]
        #expect(domainError { try ApprovalRelease.grant(approvalId: "ap1", approval: ApprovalDecider.fold(request + grant), target: target, context()) }
            == .conflict("approval ap1 was already granted"))
        let denied = [DomainEvent.approvalDenied(ApprovalDenied(approvalId: "ap1", by: "u"))]
        #expect(domainError { try ApprovalRelease.grant(approvalId: "ap1", approval: ApprovalDecider.fold(request + denied), target: target, context()) }
            == .conflict("approval ap1 was already denied"))
        let late = context(now: 1_000 + Expiry.approval)
        #expect(domainError { try ApprovalRelease.grant(approvalId: "ap1", approval: ApprovalDecider.fold(request), target: target, late) }
            == .conflict("approval ap1 expired"))
        #expect(try when(ApprovalDecider.self, given: request, .expire(approvalId: "ap1"), late) == [.approvalExpired(ApprovalExpired(approvalId: "ap1"))])
        #expect(try when(ApprovalDecider.self, given: request, .expire(approvalId: "ap1"), context(now: 5_000)).isEmpty)
    }

    @Test("a hopeless held command is refused at once, with nothing held")
    func hopeless() throws {
        let noInstance = ApprovalRelease.Target.instance(InstanceDecider.initialState, access: .init(userAccess: true, waitlistApproved: false))
        #expect(domainError { try requested(.restart, target: noInstance) } == .conflict("the instance is not ready"))
        let noAccess = ApprovalRelease.Target.instance(InstanceDecider.initialState, access: .init(userAccess: false, waitlistApproved: false))
        #expect(domainError { try requested(.provision(instanceType: "standard"), target: noAccess) } != nil)
    }

    @Test("exec approvals take exactly allow-once, allow-always, deny; the same decision again is a no-op, another an error")
    func execApprovals() throws {
        let request = try when(ExecApprovalDecider.self, .request(
            id: "ex1", command: "rm -rf build", cwd: "/w", host: "gateway", sessionKey: "agent:main:main", agentId: "main",
            allowedDecisions: nil, timeoutMs: nil), context(now: 0))
        #expect(domainError { try when(ExecApprovalDecider.self, given: request, .resolve(id: "ex1", decision: "allow")) } == .invalid("invalid decision"))
        // A repeated request is a no-op, but only once its input checks out.
        #expect(domainError { try when(ExecApprovalDecider.self, given: request, .request(
            id: "ex1", command: "rm -rf build", cwd: nil, host: nil, sessionKey: nil, agentId: nil, allowedDecisions: nil, timeoutMs: 0)) }
            == .invalid("timeoutMs must be at least 1"))
        for decision in ExecDecision.allCases {
            let resolved = try when(ExecApprovalDecider.self, given: request, .resolve(id: "ex1", decision: decision.rawValue))
            #expect(resolved == [.execApprovalResolved(ExecApprovalResolved(id: "ex1", decision: decision, by: "user_admin"))])
            #expect(try when(ExecApprovalDecider.self, given: request + resolved, .resolve(id: "ex1", decision: decision.rawValue)).isEmpty)
            let other = ExecDecision.allCases.first { $0 != decision }!
            #expect(domainError { try when(ExecApprovalDecider.self, given: request + resolved, .resolve(id: "ex1", decision: other.rawValue)) }
                == .conflict("approval already resolved"))
        }
        #expect(domainError { try when(ExecApprovalDecider.self, .resolve(id: "nope", decision: "deny")) } == .notFound("unknown or expired approval id"))
        #expect(domainError { try when(ExecApprovalDecider.self, given: request, .resolve(id: "ex1", decision: "deny"), context(now: Expiry.execApproval)) }
            == .notFound("unknown or expired approval id"))
    }

    @Test("allow-always is refused when the runtime did not offer it")
    func allowAlwaysUnavailable() throws {
        let request = try when(ExecApprovalDecider.self, .request(
            id: "ex2", command: "ls", cwd: nil, host: nil, sessionKey: nil, agentId: nil, allowedDecisions: [.allowOnce, .deny], timeoutMs: 60_000))
        #expect(domainError { try when(ExecApprovalDecider.self, given: request, .resolve(id: "ex2", decision: "allow-always")) } != nil)
    }
}
