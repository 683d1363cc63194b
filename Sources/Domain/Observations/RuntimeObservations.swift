/// What ClawCloud read from the OpenClaw runtime, as typed values. The runtime is the source of
/// truth for what lives in the gateway; the gateway's routes parse its answers into these, and
/// the deciders turn what changed since the last observation into events (nothing when nothing
/// changed, so a repeated read records nothing).

/// A pending device pairing request, as the gateway lists it.
public struct ObservedDevice: Sendable, Equatable {
    public var requestId: String
    public var deviceId: String
    public var role: String
    public var platform: String?
    public var clientMode: String?
    public var displayName: String?
    public var scopes: [String]
    /// When the gateway created the request (ms); its 5-minute time to live runs from here.
    public var createdAt: Millis

    public init(requestId: String, deviceId: String, role: String, platform: String?, clientMode: String?, displayName: String?,
                scopes: [String], createdAt: Millis) {
        self.requestId = requestId
        self.deviceId = deviceId
        self.role = role
        self.platform = platform
        self.clientMode = clientMode
        self.displayName = displayName
        self.scopes = scopes
        self.createdAt = createdAt
    }
}

/// A pending DM pairing request, as the gateway lists it: the sender and the code the gateway minted.
public struct ObservedPairingRequest: Sendable, Equatable {
    /// The sender's id on the channel.
    public var sender: String
    public var code: String
    public var account: String
    /// When the gateway created the code (ms); its 1-hour time to live runs from here.
    public var createdAt: Millis

    public init(sender: String, code: String, account: String, createdAt: Millis) {
        self.sender = sender
        self.code = code
        self.account = account
        self.createdAt = createdAt
    }
}

/// A session, as the gateway's `sessions_list` reports it.
public struct ObservedSession: Sendable, Equatable {
    public var key: String
    public var kind: String
    public var channel: String
    public var displayName: String?
    public var updatedAt: Millis
    public var totalTokens: Int64

    public init(key: String, kind: String, channel: String, displayName: String?, updatedAt: Millis, totalTokens: Int64) {
        self.key = key
        self.kind = kind
        self.channel = channel
        self.displayName = displayName
        self.updatedAt = updatedAt
        self.totalTokens = totalTokens
    }
}

/// The gateway's status, as `GET /v1/status` reports it.
public struct ObservedStatus: Sendable, Equatable {
    public var gateway: GatewayStatus
    public var version: [String: String]
    public var instanceType: String
    /// The time of the tenant's last backup, when there is one (ms).
    public var lastBackup: Millis?

    public init(gateway: GatewayStatus, version: [String: String], instanceType: String, lastBackup: Millis?) {
        self.gateway = gateway
        self.version = version
        self.instanceType = instanceType
        self.lastBackup = lastBackup
    }
}

/// A pending exec approval, as the runtime's `GET /v1/exec-approvals` lists it.
public struct ObservedExecApproval: Sendable, Equatable {
    public var id: String
    public var command: String
    public var cwd: String?
    public var host: String?
    public var sessionKey: String?
    public var agentId: String?
    public var allowedDecisions: [ExecDecision]?
    public var expiresAt: Millis?

    public init(id: String, command: String, cwd: String?, host: String?, sessionKey: String?, agentId: String?,
                allowedDecisions: [ExecDecision]?, expiresAt: Millis?) {
        self.id = id
        self.command = command
        self.cwd = cwd
        self.host = host
        self.sessionKey = sessionKey
        self.agentId = agentId
        self.allowedDecisions = allowedDecisions
        self.expiresAt = expiresAt
    }
}
