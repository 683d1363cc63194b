import Foundation

/// Every domain event, one case per type (the catalog: docs/architecture.md, "Event catalog").
///
/// `DomainEvent` is what deciders return and projections switch over. In the store an event is
/// its ``type`` name, its ``schemaVersion`` and its payload as sorted-key JSON (``data()``);
/// ``decode(type:schemaVersion:data:)`` reads it back through the ``Upcaster``.
public enum DomainEvent: Sendable, Equatable {
    case userRegistered(UserRegistered)
    case accessEnabled(AccessEnabled)
    case accessDisabled(AccessDisabled)
    case waitlistJoined(WaitlistJoined)
    case waitlistApproved(WaitlistApproved)
    case waitlistRevoked(WaitlistRevoked)
    case instanceProvisionRequested(InstanceProvisionRequested)
    case instanceProvisioned(InstanceProvisioned)
    case instanceProvisionFailed(InstanceProvisionFailed)
    case instanceStatusObserved(InstanceStatusObserved)
    case instanceRestartRequested(InstanceRestartRequested)
    case instanceRestarted(InstanceRestarted)
    case instanceRestartFailed(InstanceRestartFailed)
    case instanceDeleted(InstanceDeleted)
    case secretRotated(SecretRotated)
    case secretRemoved(SecretRemoved)
    case backupRequested(BackupRequested)
    case backupTaken(BackupTaken)
    case backupFailed(BackupFailed)
    case devicePairingRequested(DevicePairingRequested)
    case deviceApproved(DeviceApproved)
    case deviceRejected(DeviceRejected)
    case deviceExpired(DeviceExpired)
    case deviceRemoved(DeviceRemoved)
    case dmPairingRequested(DmPairingRequested)
    case dmPairingApproved(DmPairingApproved)
    case dmPairingRejected(DmPairingRejected)
    case dmPairingExpired(DmPairingExpired)
    case approvalRequested(ApprovalRequested)
    case approvalGranted(ApprovalGranted)
    case approvalDenied(ApprovalDenied)
    case approvalExpired(ApprovalExpired)
    case approvalExecuted(ApprovalExecuted)
    case approvalAnswered(ApprovalAnswered)
    case execApprovalRequested(ExecApprovalRequested)
    case execApprovalResolved(ExecApprovalResolved)
    case execApprovalExpired(ExecApprovalExpired)
    case execApprovalDelivered(ExecApprovalDelivered)
    case threadCreated(ThreadCreated)
    case threadRenamed(ThreadRenamed)
    case threadArchived(ThreadArchived)
    case threadUnarchived(ThreadUnarchived)
    case messageAdded(MessageAdded)
    case messageRevised(MessageRevised)
    case messageRemoved(MessageRemoved)
    case sessionObserved(SessionObserved)
    case sessionMessageSent(SessionMessageSent)
    case sessionReplyReceived(SessionReplyReceived)
    case sessionSendEnded(SessionSendEnded)
    case runStarted(RunStarted)
    case runCompleted(RunCompleted)
    case runFailed(RunFailed)
    case toolInvoked(ToolInvoked)
    case toolCompleted(ToolCompleted)
    case toolFailed(ToolFailed)
    case toolOutcomeUnknown(ToolOutcomeUnknown)
    case effectStarted(EffectStarted)
    case effectNotApplied(EffectNotApplied)
    case creditsGranted(CreditsGranted)
    case creditsCharged(CreditsCharged)
    case creditsRefunded(CreditsRefunded)
    case spendLimitSet(SpendLimitSet)
    case agentKeyIssued(AgentKeyIssued)
    case agentKeyRevoked(AgentKeyRevoked)
    case agentKeyRefused(AgentKeyRefused)
    case agentKeyUsed(AgentKeyUsed)

    /// Every event type: its payload type, its case, and how to decode it (no dynamic casts on
    /// the read path: each entry knows its payload type statically).
    static let cases: [Case] = [
        entry(DomainEvent.userRegistered),
        entry(DomainEvent.accessEnabled),
        entry(DomainEvent.accessDisabled),
        entry(DomainEvent.waitlistJoined),
        entry(DomainEvent.waitlistApproved),
        entry(DomainEvent.waitlistRevoked),
        entry(DomainEvent.instanceProvisionRequested),
        entry(DomainEvent.instanceProvisioned),
        entry(DomainEvent.instanceProvisionFailed),
        entry(DomainEvent.instanceStatusObserved),
        entry(DomainEvent.instanceRestartRequested),
        entry(DomainEvent.instanceRestarted),
        entry(DomainEvent.instanceRestartFailed),
        entry(DomainEvent.instanceDeleted),
        entry(DomainEvent.secretRotated),
        entry(DomainEvent.secretRemoved),
        entry(DomainEvent.backupRequested),
        entry(DomainEvent.backupTaken),
        entry(DomainEvent.backupFailed),
        entry(DomainEvent.devicePairingRequested),
        entry(DomainEvent.deviceApproved),
        entry(DomainEvent.deviceRejected),
        entry(DomainEvent.deviceExpired),
        entry(DomainEvent.deviceRemoved),
        entry(DomainEvent.dmPairingRequested),
        entry(DomainEvent.dmPairingApproved),
        entry(DomainEvent.dmPairingRejected),
        entry(DomainEvent.dmPairingExpired),
        entry(DomainEvent.approvalRequested),
        entry(DomainEvent.approvalGranted),
        entry(DomainEvent.approvalDenied),
        entry(DomainEvent.approvalExpired),
        entry(DomainEvent.approvalExecuted),
        entry(DomainEvent.approvalAnswered),
        entry(DomainEvent.execApprovalRequested),
        entry(DomainEvent.execApprovalResolved),
        entry(DomainEvent.execApprovalExpired),
        entry(DomainEvent.execApprovalDelivered),
        entry(DomainEvent.threadCreated),
        entry(DomainEvent.threadRenamed),
        entry(DomainEvent.threadArchived),
        entry(DomainEvent.threadUnarchived),
        entry(DomainEvent.messageAdded),
        entry(DomainEvent.messageRevised),
        entry(DomainEvent.messageRemoved),
        entry(DomainEvent.sessionObserved),
        entry(DomainEvent.sessionMessageSent),
        entry(DomainEvent.sessionReplyReceived),
        entry(DomainEvent.sessionSendEnded),
        entry(DomainEvent.runStarted),
        entry(DomainEvent.runCompleted),
        entry(DomainEvent.runFailed),
        entry(DomainEvent.toolInvoked),
        entry(DomainEvent.toolCompleted),
        entry(DomainEvent.toolFailed),
        entry(DomainEvent.toolOutcomeUnknown),
        entry(DomainEvent.effectStarted),
        entry(DomainEvent.effectNotApplied),
        entry(DomainEvent.creditsGranted),
        entry(DomainEvent.creditsCharged),
        entry(DomainEvent.creditsRefunded),
        entry(DomainEvent.spendLimitSet),
        entry(DomainEvent.agentKeyIssued),
        entry(DomainEvent.agentKeyRevoked),
        entry(DomainEvent.agentKeyRefused),
        entry(DomainEvent.agentKeyUsed),
    ]

    /// The payload.
    public var payload: any EventPayload {
        switch self {
        case .userRegistered(let payload): payload
        case .accessEnabled(let payload): payload
        case .accessDisabled(let payload): payload
        case .waitlistJoined(let payload): payload
        case .waitlistApproved(let payload): payload
        case .waitlistRevoked(let payload): payload
        case .instanceProvisionRequested(let payload): payload
        case .instanceProvisioned(let payload): payload
        case .instanceProvisionFailed(let payload): payload
        case .instanceStatusObserved(let payload): payload
        case .instanceRestartRequested(let payload): payload
        case .instanceRestarted(let payload): payload
        case .instanceRestartFailed(let payload): payload
        case .instanceDeleted(let payload): payload
        case .secretRotated(let payload): payload
        case .secretRemoved(let payload): payload
        case .backupRequested(let payload): payload
        case .backupTaken(let payload): payload
        case .backupFailed(let payload): payload
        case .devicePairingRequested(let payload): payload
        case .deviceApproved(let payload): payload
        case .deviceRejected(let payload): payload
        case .deviceExpired(let payload): payload
        case .deviceRemoved(let payload): payload
        case .dmPairingRequested(let payload): payload
        case .dmPairingApproved(let payload): payload
        case .dmPairingRejected(let payload): payload
        case .dmPairingExpired(let payload): payload
        case .approvalRequested(let payload): payload
        case .approvalGranted(let payload): payload
        case .approvalDenied(let payload): payload
        case .approvalExpired(let payload): payload
        case .approvalExecuted(let payload): payload
        case .approvalAnswered(let payload): payload
        case .execApprovalRequested(let payload): payload
        case .execApprovalResolved(let payload): payload
        case .execApprovalExpired(let payload): payload
        case .execApprovalDelivered(let payload): payload
        case .threadCreated(let payload): payload
        case .threadRenamed(let payload): payload
        case .threadArchived(let payload): payload
        case .threadUnarchived(let payload): payload
        case .messageAdded(let payload): payload
        case .messageRevised(let payload): payload
        case .messageRemoved(let payload): payload
        case .sessionObserved(let payload): payload
        case .sessionMessageSent(let payload): payload
        case .sessionReplyReceived(let payload): payload
        case .sessionSendEnded(let payload): payload
        case .runStarted(let payload): payload
        case .runCompleted(let payload): payload
        case .runFailed(let payload): payload
        case .toolInvoked(let payload): payload
        case .toolCompleted(let payload): payload
        case .toolFailed(let payload): payload
        case .toolOutcomeUnknown(let payload): payload
        case .effectStarted(let payload): payload
        case .effectNotApplied(let payload): payload
        case .creditsGranted(let payload): payload
        case .creditsCharged(let payload): payload
        case .creditsRefunded(let payload): payload
        case .spendLimitSet(let payload): payload
        case .agentKeyIssued(let payload): payload
        case .agentKeyRevoked(let payload): payload
        case .agentKeyRefused(let payload): payload
        case .agentKeyUsed(let payload): payload
        }
    }

    /// Wraps a payload in its case.
    public init(_ payload: any EventPayload) {
        guard let entry = Self.casesByPayload[ObjectIdentifier(Swift.type(of: payload))], let event = entry.wrap(payload) else {
            preconditionFailure("\(Swift.type(of: payload)) is not listed in DomainEvent")
        }
        self = event
    }
}
