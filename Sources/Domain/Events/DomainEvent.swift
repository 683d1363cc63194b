import Foundation

/// Every domain event, one case per type (the catalog of DESIGN §3; see README "Event catalog").
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
    case execApprovalRequested(ExecApprovalRequested)
    case execApprovalResolved(ExecApprovalResolved)
    case execApprovalExpired(ExecApprovalExpired)
    case threadCreated(ThreadCreated)
    case threadRenamed(ThreadRenamed)
    case threadArchived(ThreadArchived)
    case threadUnarchived(ThreadUnarchived)
    case messageAdded(MessageAdded)
    case sessionObserved(SessionObserved)
    case sessionMessageSent(SessionMessageSent)
    case sessionReplyReceived(SessionReplyReceived)
    case runStarted(RunStarted)
    case runCompleted(RunCompleted)
    case runFailed(RunFailed)
    case toolInvoked(ToolInvoked)
    case toolCompleted(ToolCompleted)
    case toolFailed(ToolFailed)
    case creditsGranted(CreditsGranted)
    case creditsCharged(CreditsCharged)
    case creditsRefunded(CreditsRefunded)
    case spendLimitSet(SpendLimitSet)

    /// Every payload type, for decoding by type name.
    static let payloadTypes: [any EventPayload.Type] = [
        UserRegistered.self, AccessEnabled.self, AccessDisabled.self, WaitlistJoined.self,
        WaitlistApproved.self, WaitlistRevoked.self, InstanceProvisionRequested.self, InstanceProvisioned.self,
        InstanceProvisionFailed.self, InstanceStatusObserved.self, InstanceRestartRequested.self, InstanceRestarted.self,
        InstanceRestartFailed.self, InstanceDeleted.self, SecretRotated.self, BackupRequested.self,
        BackupTaken.self, BackupFailed.self, DevicePairingRequested.self, DeviceApproved.self,
        DeviceRejected.self, DeviceExpired.self, DeviceRemoved.self, DmPairingRequested.self,
        DmPairingApproved.self, DmPairingRejected.self, DmPairingExpired.self, ApprovalRequested.self,
        ApprovalGranted.self, ApprovalDenied.self, ApprovalExpired.self, ApprovalExecuted.self,
        ExecApprovalRequested.self, ExecApprovalResolved.self, ExecApprovalExpired.self, ThreadCreated.self,
        ThreadRenamed.self, ThreadArchived.self, ThreadUnarchived.self, MessageAdded.self,
        SessionObserved.self, SessionMessageSent.self, SessionReplyReceived.self, RunStarted.self,
        RunCompleted.self, RunFailed.self, ToolInvoked.self, ToolCompleted.self,
        ToolFailed.self, CreditsGranted.self, CreditsCharged.self, CreditsRefunded.self,
        SpendLimitSet.self,
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
        case .execApprovalRequested(let payload): payload
        case .execApprovalResolved(let payload): payload
        case .execApprovalExpired(let payload): payload
        case .threadCreated(let payload): payload
        case .threadRenamed(let payload): payload
        case .threadArchived(let payload): payload
        case .threadUnarchived(let payload): payload
        case .messageAdded(let payload): payload
        case .sessionObserved(let payload): payload
        case .sessionMessageSent(let payload): payload
        case .sessionReplyReceived(let payload): payload
        case .runStarted(let payload): payload
        case .runCompleted(let payload): payload
        case .runFailed(let payload): payload
        case .toolInvoked(let payload): payload
        case .toolCompleted(let payload): payload
        case .toolFailed(let payload): payload
        case .creditsGranted(let payload): payload
        case .creditsCharged(let payload): payload
        case .creditsRefunded(let payload): payload
        case .spendLimitSet(let payload): payload
        }
    }

    /// Wraps a payload in its case.
    public init(_ payload: any EventPayload) {
        switch payload {
        case let payload as UserRegistered: self = .userRegistered(payload)
        case let payload as AccessEnabled: self = .accessEnabled(payload)
        case let payload as AccessDisabled: self = .accessDisabled(payload)
        case let payload as WaitlistJoined: self = .waitlistJoined(payload)
        case let payload as WaitlistApproved: self = .waitlistApproved(payload)
        case let payload as WaitlistRevoked: self = .waitlistRevoked(payload)
        case let payload as InstanceProvisionRequested: self = .instanceProvisionRequested(payload)
        case let payload as InstanceProvisioned: self = .instanceProvisioned(payload)
        case let payload as InstanceProvisionFailed: self = .instanceProvisionFailed(payload)
        case let payload as InstanceStatusObserved: self = .instanceStatusObserved(payload)
        case let payload as InstanceRestartRequested: self = .instanceRestartRequested(payload)
        case let payload as InstanceRestarted: self = .instanceRestarted(payload)
        case let payload as InstanceRestartFailed: self = .instanceRestartFailed(payload)
        case let payload as InstanceDeleted: self = .instanceDeleted(payload)
        case let payload as SecretRotated: self = .secretRotated(payload)
        case let payload as BackupRequested: self = .backupRequested(payload)
        case let payload as BackupTaken: self = .backupTaken(payload)
        case let payload as BackupFailed: self = .backupFailed(payload)
        case let payload as DevicePairingRequested: self = .devicePairingRequested(payload)
        case let payload as DeviceApproved: self = .deviceApproved(payload)
        case let payload as DeviceRejected: self = .deviceRejected(payload)
        case let payload as DeviceExpired: self = .deviceExpired(payload)
        case let payload as DeviceRemoved: self = .deviceRemoved(payload)
        case let payload as DmPairingRequested: self = .dmPairingRequested(payload)
        case let payload as DmPairingApproved: self = .dmPairingApproved(payload)
        case let payload as DmPairingRejected: self = .dmPairingRejected(payload)
        case let payload as DmPairingExpired: self = .dmPairingExpired(payload)
        case let payload as ApprovalRequested: self = .approvalRequested(payload)
        case let payload as ApprovalGranted: self = .approvalGranted(payload)
        case let payload as ApprovalDenied: self = .approvalDenied(payload)
        case let payload as ApprovalExpired: self = .approvalExpired(payload)
        case let payload as ApprovalExecuted: self = .approvalExecuted(payload)
        case let payload as ExecApprovalRequested: self = .execApprovalRequested(payload)
        case let payload as ExecApprovalResolved: self = .execApprovalResolved(payload)
        case let payload as ExecApprovalExpired: self = .execApprovalExpired(payload)
        case let payload as ThreadCreated: self = .threadCreated(payload)
        case let payload as ThreadRenamed: self = .threadRenamed(payload)
        case let payload as ThreadArchived: self = .threadArchived(payload)
        case let payload as ThreadUnarchived: self = .threadUnarchived(payload)
        case let payload as MessageAdded: self = .messageAdded(payload)
        case let payload as SessionObserved: self = .sessionObserved(payload)
        case let payload as SessionMessageSent: self = .sessionMessageSent(payload)
        case let payload as SessionReplyReceived: self = .sessionReplyReceived(payload)
        case let payload as RunStarted: self = .runStarted(payload)
        case let payload as RunCompleted: self = .runCompleted(payload)
        case let payload as RunFailed: self = .runFailed(payload)
        case let payload as ToolInvoked: self = .toolInvoked(payload)
        case let payload as ToolCompleted: self = .toolCompleted(payload)
        case let payload as ToolFailed: self = .toolFailed(payload)
        case let payload as CreditsGranted: self = .creditsGranted(payload)
        case let payload as CreditsCharged: self = .creditsCharged(payload)
        case let payload as CreditsRefunded: self = .creditsRefunded(payload)
        case let payload as SpendLimitSet: self = .spendLimitSet(payload)
        default: preconditionFailure("\(Swift.type(of: payload)) is not listed in DomainEvent")
        }
    }
}
