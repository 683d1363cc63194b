/// A risky command held behind a human approval, recorded whole in `approval.requested` and
/// released once when the approval is granted.
///
/// JSON: `{"kind": "provision", "instanceType": "standard"}`, `{"kind": "restart"}`,
/// `{"kind": "delete_instance"}`, `{"kind": "approve_device", "requestId": …}`,
/// `{"kind": "approve_dm_pairing", "channel": …, "code": …, "notify": …}`,
/// `{"kind": "charge", "chargeId": …, "amountMicros": …, "reason": …, "ref": …}`.
public enum HeldAction: Sendable, Equatable {
    case provision(instanceType: String)
    case restart
    case deleteInstance
    case approveDevice(requestId: String)
    case approveDmPairing(channel: String, code: String, notify: Bool)
    case charge(chargeId: String, amountMicros: Micros, reason: ChargeReason, ref: String)

    /// The tool name the website's approval card shows (as the agent tools name them).
    public var toolName: String {
        switch self {
        case .provision: "openclaw_provision"
        case .restart: "openclaw_restart"
        case .deleteInstance: "openclaw_delete_instance"
        case .approveDevice: "openclaw_approve_device"
        case .approveDmPairing: "openclaw_approve_pairing"
        case .charge: "credits_charge"
        }
    }

    /// The default human summary (the original tool gate's wording where it had one).
    public var summary: String {
        switch self {
        case .provision: "Provision a managed OpenClaw instance."
        case .restart: "Restart the OpenClaw gateway."
        case .deleteInstance: "Delete the OpenClaw instance: stops the gateway and clears its secrets."
        case .approveDevice(let requestId): "Approve device pairing request \(requestId)."
        case .approveDmPairing(let channel, let code, _): "Approve DM pairing \(channel) code \(code)."
        case .charge(_, let amount, let reason, _): "Charge \(Money.usd(amount)) for \(reason.rawValue) above the spend limit."
        }
    }

    public var risk: Risk {
        switch self {
        case .provision, .approveDevice, .approveDmPairing: .medium
        case .restart, .deleteInstance, .charge: .high
        }
    }

    /// The arguments as the tool would receive them.
    public var toolInput: JSONValue {
        guard case .object(var members) = (try? JSONValueEncoder.encode(self)) ?? .null else { return [:] }
        members["kind"] = nil
        return .object(members)
    }
}

public enum Risk: String, Codable, Sendable { case low, medium, high }

extension HeldAction: Codable {
    private enum Kind: String, Codable {
        case provision, restart, deleteInstance = "delete_instance", approveDevice = "approve_device"
        case approveDmPairing = "approve_dm_pairing", charge
    }

    private enum Keys: String, CodingKey {
        case kind, instanceType, requestId, channel, code, notify, chargeId, amountMicros, reason, ref
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        switch try container.decode(Kind.self, forKey: .kind) {
        case .provision: self = .provision(instanceType: try container.decode(String.self, forKey: .instanceType))
        case .restart: self = .restart
        case .deleteInstance: self = .deleteInstance
        case .approveDevice: self = .approveDevice(requestId: try container.decode(String.self, forKey: .requestId))
        case .approveDmPairing:
            self = .approveDmPairing(
                channel: try container.decode(String.self, forKey: .channel), code: try container.decode(String.self, forKey: .code),
                notify: try container.decodeIfPresent(Bool.self, forKey: .notify) ?? false)
        case .charge:
            self = .charge(
                chargeId: try container.decode(String.self, forKey: .chargeId),
                amountMicros: try container.decode(Micros.self, forKey: .amountMicros),
                reason: try container.decode(ChargeReason.self, forKey: .reason), ref: try container.decode(String.self, forKey: .ref))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .provision(let instanceType):
            try container.encode(Kind.provision, forKey: .kind)
            try container.encode(instanceType, forKey: .instanceType)
        case .restart:
            try container.encode(Kind.restart, forKey: .kind)
        case .deleteInstance:
            try container.encode(Kind.deleteInstance, forKey: .kind)
        case .approveDevice(let requestId):
            try container.encode(Kind.approveDevice, forKey: .kind)
            try container.encode(requestId, forKey: .requestId)
        case .approveDmPairing(let channel, let code, let notify):
            try container.encode(Kind.approveDmPairing, forKey: .kind)
            try container.encode(channel, forKey: .channel)
            try container.encode(code, forKey: .code)
            try container.encode(notify, forKey: .notify)
        case .charge(let chargeId, let amount, let reason, let ref):
            try container.encode(Kind.charge, forKey: .kind)
            try container.encode(chargeId, forKey: .chargeId)
            try container.encode(amount, forKey: .amountMicros)
            try container.encode(reason, forKey: .reason)
            try container.encode(ref, forKey: .ref)
        }
    }
}
