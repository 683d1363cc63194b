@testable import Domain
import Foundation
import Testing

@Suite("Access and instance")
struct AccessAndInstanceTests {
    @Test("joining the waitlist is idempotent by lowercased email; a bad email or source is refused, joined or not")
    func waitlistIdempotent() throws {
        let joined = try when(AccessDecider.self, .joinWaitlist(email: " Ada@Example.com ", source: nil))
        #expect(joined == [.waitlistJoined(WaitlistJoined(email: "ada@example.com", source: "hatchery"))])
        #expect(try when(AccessDecider.self, given: joined, .joinWaitlist(email: "ADA@example.com", source: "x")).isEmpty)
        #expect(domainError { try when(AccessDecider.self, .joinWaitlist(email: "not-an-email", source: nil)) } != nil)
        // Input is checked before the shortcut for an email already on the list.
        #expect(domainError { try when(AccessDecider.self, given: joined, .joinWaitlist(email: "ada@example.com", source: " ")) }
            == .invalid("source must not be empty"))
        #expect(domainError { try when(AccessDecider.self, .joinWaitlist(email: "a\u{13}@example.com", source: nil)) } != nil)
    }

    @Test("stream names fit the store's 256 bytes: a long id is named by its SHA-256")
    func streamNames() {
        #expect(Streams.waitlist("ada@example.com") == "waitlist-ada@example.com")
        let long = String(repeating: "a", count: 240) + "@example.com"
        let named = Streams.waitlist(long)
        #expect(named.hasPrefix("waitlist-sha256:") && named.utf8.count == "waitlist-sha256:".utf8.count + 64)
        #expect(named == Streams.waitlist(long))
        #expect(named != Streams.waitlist("b" + long.dropFirst()))
        #expect(Streams.session(String(repeating: "k", count: 248)).utf8.count == 256)
        #expect(Streams.session(String(repeating: "k", count: 249)).hasPrefix("session-sha256:"))
    }

    @Test("a tool call names a tool and, when it has one, a valid session key")
    func toolCalls() throws {
        let digest = String(repeating: "ab", count: 32)
        #expect(try when(ToolCallDecider.self, .invoke(callId: "c1", tool: "exec", action: nil, argsDigest: digest, sessionKey: "agent:main:main")).count == 1)
        #expect(domainError { try when(ToolCallDecider.self, .invoke(callId: "c1", tool: "exec", action: nil, argsDigest: digest, sessionKey: "a b")) }
            == .invalid("session key must be 1-256 printable ASCII characters without spaces or slashes"))
        #expect(domainError { try when(ToolCallDecider.self, .invoke(callId: "c1", tool: "ex ec", action: nil, argsDigest: digest, sessionKey: nil)) } != nil)
    }

    @Test("a tool call ends once, completed or failed; a failure keeps the status its caller was answered with")
    func toolCallEnds() throws {
        let invoked = try when(ToolCallDecider.self, .invoke(callId: "c1", tool: "exec", action: nil, argsDigest: String(repeating: "ab", count: 32), sessionKey: nil))
        let failed = try when(ToolCallDecider.self, given: invoked, .fail(callId: "c1", error: "timed out", status: 504))
        #expect(failed == [.toolFailed(ToolFailed(callId: "c1", error: "timed out", status: 504))])
        #expect(ToolCallDecider.evolve(ToolCallDecider.evolve(ToolCallDecider.initialState, invoked[0]), failed[0]).failure == ToolFailed(callId: "c1", error: "timed out", status: 504))
        #expect(domainError { try when(ToolCallDecider.self, given: invoked + failed, .complete(callId: "c1", ok: true, durationMs: 1, resultBytes: 1)) }
            == .conflict("tool call c1 already failed"))
        #expect(domainError { try when(ToolCallDecider.self, given: invoked, .fail(callId: "c1", error: "x", status: 200)) }
            == .invalid("status must be an HTTP error status (400-599)"))
        #expect(domainError { try when(ToolCallDecider.self, .fail(callId: "c1", error: "x")) } == .notFound("no tool call c1"))
    }

    @Test("approving a waitlist entry needs the entry; approving twice writes nothing")
    func waitlistApproval() throws {
        #expect(domainError { try when(AccessDecider.self, .setWaitlistApproval(email: "a@b.co", approved: true)) } == .notFound("a@b.co is not on the waitlist"))
        let joined: [DomainEvent] = [.waitlistJoined(WaitlistJoined(email: "a@b.co", source: "hatchery"))]
        let approved = try when(AccessDecider.self, given: joined, .setWaitlistApproval(email: "a@b.co", approved: true))
        #expect(approved == [.waitlistApproved(WaitlistApproved(email: "a@b.co", by: "user_admin"))])
        #expect(try when(AccessDecider.self, given: joined + approved, .setWaitlistApproval(email: "a@b.co", approved: true)).isEmpty)
        #expect(try when(AccessDecider.self, given: joined + approved, .setWaitlistApproval(email: "a@b.co", approved: false))
            == [.waitlistRevoked(WaitlistRevoked(email: "a@b.co", by: "user_admin"))])
    }

    @Test("provisioning needs access: the user flag or an approved waitlist email")
    func provisionNeedsAccess() throws {
        let none = AccessStatus(userAccess: false, waitlistApproved: false)
        #expect(domainError { try when(InstanceDecider.self, .provision(instanceType: "standard", access: none, approvalId: "a1")) }
            == .forbidden("access is not enabled: join the waitlist or ask an admin"))
        for access in [AccessStatus(userAccess: true, waitlistApproved: false), AccessStatus(userAccess: false, waitlistApproved: true)] {
            #expect(try when(InstanceDecider.self, .provision(instanceType: "standard", access: access, approvalId: "a1"))
                == [.instanceProvisionRequested(InstanceProvisionRequested(instanceType: "standard", approvalId: "a1", sandboxId: SandboxID.of(tenant: "user_1")))])
        }
    }

    @Test("sandbox ids stay distinct through the runtime's sanitizing, and are what it keeps")
    func sandboxIDs() {
        func sanitized(_ id: String) -> String {
            var out = ""
            for scalar in id.lowercased().unicodeScalars {
                if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) { out.unicodeScalars.append(scalar) } else if !out.hasSuffix("-") { out += "-" }
            }
            return out.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        }
        let tenants = ["agent:zed01", "agent-zed01", "Agent.Zed01", "agent_zed01", "user_01K", "user_01k"]
        #expect(Set(tenants.map(sanitized)).count < tenants.count, "these tenant ids collide when sent as they are")
        let ids = tenants.map(SandboxID.of)
        #expect(Set(ids).count == tenants.count)
        #expect(ids.allSatisfy { sanitized($0) == $0 && $0.count == 55 && $0.hasPrefix("oc-") })
        #expect(SandboxID.of(tenant: "agent:zed01") == SandboxID.of(tenant: "agent:zed01"))
    }

    @Test("lifecycle: provision → ready → restart → restarted; a second restart while one runs is refused")
    func lifecycle() throws {
        let history: [DomainEvent] = [
            .instanceProvisionRequested(InstanceProvisionRequested(instanceType: "standard", approvalId: "a1")),
            .instanceProvisioned(InstanceProvisioned(runtimeName: "oc-user-1")),
        ]
        let restart = try when(InstanceDecider.self, given: history, .restart(approvalId: "a2"))
        #expect(restart == [.instanceRestartRequested(InstanceRestartRequested(approvalId: "a2"))])
        #expect(domainError { try when(InstanceDecider.self, given: history + restart, .restart(approvalId: "a3")) } == .conflict("a restart is already in progress"))
        #expect(try when(InstanceDecider.self, given: history + restart, .recordRestarted) == [.instanceRestarted(InstanceRestarted(approvalId: "a2"))])
        #expect(domainError { try when(InstanceDecider.self, given: history, .provision(instanceType: "standard", access: .init(userAccess: true, waitlistApproved: false), approvalId: "a4")) }
            == .conflict("the instance is already ready"))
    }

    @Test("secrets: removed only when stored; kept through a re-provision; removed with the instance")
    func secrets() throws {
        let rotated = DomainEvent.secretRotated(SecretRotated(name: "openai_api_key", fingerprint: "0123456789abcdef"))
        let history: [DomainEvent] = [
            rotated,
            .instanceProvisionRequested(InstanceProvisionRequested(instanceType: "standard", approvalId: "a1")),
            .instanceProvisioned(InstanceProvisioned(runtimeName: "oc")),
        ]
        #expect(try when(InstanceDecider.self, given: history, .removeSecret(name: "openai_api_key")) == [.secretRemoved(SecretRemoved(name: "openai_api_key"))])
        #expect(domainError { try when(InstanceDecider.self, given: history, .removeSecret(name: "anthropic_api_key")) }
            == .notFound("no secret named anthropic_api_key is stored"))
        #expect(try when(InstanceDecider.self, given: history, .delete(approvalId: "a2"))
            == [.instanceDeleted(InstanceDeleted(approvalId: "a2")), .secretRemoved(SecretRemoved(name: "openai_api_key"))])
        let removed: [DomainEvent] = [.secretRemoved(SecretRemoved(name: "openai_api_key"))]
        #expect(try when(InstanceDecider.self, given: history + removed, .delete(approvalId: "a2")) == [.instanceDeleted(InstanceDeleted(approvalId: "a2"))])
        #expect(domainError { try when(InstanceDecider.self, given: history + removed, .removeSecret(name: "openai_api_key")) } != nil)
    }

    @Test("backups land under openclaw/<tenant>/ only")
    func backupKeys() throws {
        let history: [DomainEvent] = [
            .instanceProvisionRequested(InstanceProvisionRequested(instanceType: "standard", approvalId: "a1")),
            .instanceProvisioned(InstanceProvisioned(runtimeName: "oc")),
            .backupRequested(BackupRequested(backupId: "b1")),
        ]
        let sha = String(repeating: "ab", count: 32)
        #expect(domainError { try when(InstanceDecider.self, given: history, .recordBackupTaken(backupId: "b1", objectKey: "openclaw/user_2/x.tar", bytes: 10, sha256: sha)) } != nil)
        #expect(domainError { try when(InstanceDecider.self, given: history, .recordBackupTaken(backupId: "b1", objectKey: "openclaw/user_1/../user_2/x", bytes: 10, sha256: sha)) } != nil)
        let taken = try when(InstanceDecider.self, given: history, .recordBackupTaken(backupId: "b1", objectKey: "openclaw/user_1/b1.tar.zst", bytes: 10, sha256: sha))
        #expect(taken == [.backupTaken(BackupTaken(backupId: "b1", objectKey: "openclaw/user_1/b1.tar.zst", bytes: 10, sha256: sha, at: 1_000_000))])
    }
}
