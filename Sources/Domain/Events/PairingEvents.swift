/// Device pairing (WS clients of the gateway, `device-<requestId>`) and DM pairing (inbound chat
/// senders, `dm-pairing-<channel>`).

public struct DevicePairingRequested: EventPayload {
    public static let type = "device.pairing_requested"
    public let requestId: String
    public let deviceId: String
    public let role: String
    public let platform: String?
    public let mode: String?
    public let displayName: String?
    public let scopes: [String]
    public let expiresAt: Millis
    public var stream: String { Streams.device(requestId) }
}

/// The device was approved: by ClawCloud behind an approval (the runtime is then asked to pair
/// it), or outside ClawCloud (`by: "runtime"`, no approval: observed among the paired devices).
public struct DeviceApproved: EventPayload {
    public static let type = "device.approved"
    public let requestId: String
    public let deviceId: String
    public let by: String
    public let approvalId: String?
    public var stream: String { Streams.device(requestId) }
}

public struct DeviceRejected: EventPayload {
    public static let type = "device.rejected"
    public let requestId: String
    public let deviceId: String
    public let by: String
    public var stream: String { Streams.device(requestId) }
}

/// A pending request passed its 5-minute TTL unanswered, left the runtime's list unapproved, or
/// was no longer held by the runtime when ClawCloud's approval reached it.
public struct DeviceExpired: EventPayload {
    public static let type = "device.expired"
    public let requestId: String
    public let deviceId: String
    public var stream: String { Streams.device(requestId) }
}

public struct DeviceRemoved: EventPayload {
    public static let type = "device.removed"
    public let requestId: String
    public let deviceId: String
    public let by: String
    public var stream: String { Streams.device(requestId) }
}

public struct DmPairingRequested: EventPayload {
    public static let type = "dm_pairing.requested"
    public let channel: String
    public let account: String
    public let peer: String
    public let requestId: String
    public let code: String
    public let expiresAt: Millis
    public var stream: String { Streams.dmPairing(channel) }
}

public struct DmPairingApproved: EventPayload {
    public static let type = "dm_pairing.approved"
    public let channel: String
    public let code: String
    public let notify: Bool
    public let by: String
    public let approvalId: String
    public var stream: String { Streams.dmPairing(channel) }
}

public struct DmPairingRejected: EventPayload {
    public static let type = "dm_pairing.rejected"
    public let channel: String
    public let code: String
    public let by: String
    public var stream: String { Streams.dmPairing(channel) }
}

public struct DmPairingExpired: EventPayload {
    public static let type = "dm_pairing.expired"
    public let channel: String
    public let code: String
    public var stream: String { Streams.dmPairing(channel) }
}
