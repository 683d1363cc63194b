/// The tenant's OpenClaw instance and its backups (`instance`).
public enum InstanceDecider: Decider {
    public enum Status: String, Sendable, Codable { case none, provisioning, ready, error, deleted }

    public struct State: Sendable, Equatable {
        public var status: Status = .none
        public var runtimeName: String?
        /// The id the runtime knows the instance by (nil: an instance of an earlier build, known by the tenant id).
        public var sandboxId: String?
        /// The last status observed on the runtime.
        public var lastObserved: InstanceStatusObserved?
        public var restartPending: String?
        public var backupsInFlight: Set<String> = []
        public var backupsDone: Set<String> = []
        /// The names of the secrets stored (they outlive a re-provision, not a deletion).
        public var secrets: Set<String> = []
    }

    public enum Command: Sendable {
        /// Released from an approval; needs access.
        case provision(instanceType: String, access: AccessStatus, approvalId: String)
        case recordProvisioned(runtimeName: String)
        case recordProvisionFailed(reason: String)
        /// What the runtime reports; recorded only when it changed.
        case observeStatus(gateway: GatewayStatus, version: [String: String], instanceType: String)
        /// Released from an approval.
        case restart(approvalId: String)
        case recordRestarted
        case recordRestartFailed(reason: String)
        /// Released from an approval.
        case delete(approvalId: String)
        case rotateSecret(name: String, fingerprint: String)
        case removeSecret(name: String)
        case requestBackup(backupId: String)
        /// The runtime answered the backup (`at` nil: now), or it was observed (`observed`) in its `lastBackup`.
        case recordBackupTaken(backupId: String, objectKey: String, bytes: Int64?, sha256: String?, at: Millis? = nil, observed: Bool = false)
        case recordBackupFailed(backupId: String, reason: String)
    }

    public static let initialState = State()

    /// Checks that `command` could run now, without approval bookkeeping: used when a held
    /// command is requested (so a hopeless request is refused at once) and when it is released.
    public static func decide(_ command: Command, _ state: State, _ context: DecisionContext) throws -> [DomainEvent] {
        switch command {
        case .provision(let instanceType, let access, let approvalId):
            guard access.allowed else {
                throw DomainError.forbidden("access is not enabled: join the waitlist or ask an admin")
            }
            guard [.none, .deleted, .error].contains(state.status) else {
                throw DomainError.conflict("the instance is already \(state.status.rawValue)")
            }
            try Check.text(instanceType, "instanceType", max: 64)
            return [.instanceProvisionRequested(InstanceProvisionRequested(
                instanceType: instanceType, approvalId: approvalId, sandboxId: SandboxID.of(tenant: context.tenant)))]
        case .recordProvisioned(let runtimeName):
            guard state.status == .provisioning else { throw DomainError.conflict("no provisioning is in progress") }
            try Check.text(runtimeName, "runtimeName", max: 128)
            return [.instanceProvisioned(InstanceProvisioned(runtimeName: runtimeName))]
        case .recordProvisionFailed(let reason):
            guard state.status == .provisioning else { throw DomainError.conflict("no provisioning is in progress") }
            return [.instanceProvisionFailed(InstanceProvisionFailed(reason: reason))]
        case .observeStatus(let gateway, let version, let instanceType):
            try requireInstance(state)
            let observed = InstanceStatusObserved(gateway: gateway, version: version, instanceType: instanceType)
            return state.lastObserved == observed ? [] : [.instanceStatusObserved(observed)]
        case .restart(let approvalId):
            guard state.status == .ready else { throw DomainError.conflict("the instance is not ready") }
            guard state.restartPending == nil else { throw DomainError.conflict("a restart is already in progress") }
            return [.instanceRestartRequested(InstanceRestartRequested(approvalId: approvalId))]
        case .recordRestarted:
            guard let approvalId = state.restartPending else { throw DomainError.conflict("no restart is in progress") }
            return [.instanceRestarted(InstanceRestarted(approvalId: approvalId))]
        case .recordRestartFailed(let reason):
            guard let approvalId = state.restartPending else { throw DomainError.conflict("no restart is in progress") }
            return [.instanceRestartFailed(InstanceRestartFailed(approvalId: approvalId, reason: reason))]
        case .delete(let approvalId):
            try requireInstance(state)
            // Deleting the instance clears its secrets, as the approval's summary says.
            return [.instanceDeleted(InstanceDeleted(approvalId: approvalId))] + state.secrets.sorted().map { .secretRemoved(SecretRemoved(name: $0)) }
        case .rotateSecret(let name, let fingerprint):
            try Check.identifier(name, "name")
            guard fingerprint.count == 16, fingerprint.allSatisfy(\.isHexDigit) else {
                throw DomainError.invalid("fingerprint must be 16 hex digits")
            }
            return [.secretRotated(SecretRotated(name: name, fingerprint: fingerprint))]
        case .removeSecret(let name):
            guard state.secrets.contains(name) else { throw DomainError.notFound("no secret named \(name) is stored") }
            return [.secretRemoved(SecretRemoved(name: name))]
        case .requestBackup(let backupId):
            guard state.status == .ready else { throw DomainError.conflict("the instance is not ready") }
            try Check.identifier(backupId, "backupId")
            guard !state.backupsInFlight.contains(backupId), !state.backupsDone.contains(backupId) else {
                throw DomainError.conflict("backup \(backupId) already exists")
            }
            return [.backupRequested(BackupRequested(backupId: backupId))]
        case .recordBackupTaken(let backupId, let objectKey, let bytes, let sha256, let at, let observed):
            guard state.backupsInFlight.contains(backupId) else { throw DomainError.notFound("no backup \(backupId) in progress") }
            let prefix = "openclaw/\(context.tenant)/"
            guard objectKey.hasPrefix(prefix), !objectKey.contains("..") else {
                throw DomainError.invalid("backup object keys live under \(prefix)")
            }
            guard (bytes ?? 0) >= 0, sha256.map({ $0.count == 64 && $0.allSatisfy(\.isHexDigit) }) ?? true else {
                throw DomainError.invalid("a backup size must not be negative and its SHA-256 must be 64 hex digits")
            }
            return [.backupTaken(BackupTaken(backupId: backupId, objectKey: objectKey, bytes: bytes, sha256: sha256?.lowercased(), at: at ?? context.now,
                                             observed: observed ? true : nil))]
        case .recordBackupFailed(let backupId, let reason):
            guard state.backupsInFlight.contains(backupId) else { throw DomainError.notFound("no backup \(backupId) in progress") }
            return [.backupFailed(BackupFailed(backupId: backupId, reason: reason))]
        }
    }

    private static func requireInstance(_ state: State) throws {
        guard state.status != .none, state.status != .deleted else { throw DomainError.notFound("no instance is provisioned") }
    }

    public static func evolve(_ state: consuming State, _ event: DomainEvent) -> State {
        switch event {
        case .instanceProvisionRequested(let e):
            let secrets = state.secrets
            state = State()
            state.status = .provisioning
            state.secrets = secrets
            state.sandboxId = e.sandboxId
        case .instanceProvisioned(let e): state.status = .ready; state.runtimeName = e.runtimeName
        case .instanceStatusObserved(let e): state.lastObserved = e
        case .instanceProvisionFailed: state.status = .error
        case .instanceRestartRequested(let e): state.restartPending = e.approvalId
        case .instanceRestarted, .instanceRestartFailed: state.restartPending = nil
        case .instanceDeleted: state.status = .deleted; state.restartPending = nil; state.backupsInFlight = []
        case .backupRequested(let e): state.backupsInFlight.insert(e.backupId)
        case .backupTaken(let e): state.backupsInFlight.remove(e.backupId); state.backupsDone.insert(e.backupId)
        case .backupFailed(let e): state.backupsInFlight.remove(e.backupId); state.backupsDone.insert(e.backupId)
        case .secretRotated(let e): state.secrets.insert(e.name)
        case .secretRemoved(let e): state.secrets.remove(e.name)
        default: break
        }
        return state
    }
}
