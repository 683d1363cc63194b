import Foundation

/// One sandbox of the simulated runtime: what the real runtime keeps under one sanitized
/// instance id — the gateway process, its devices, DM pairing requests, sessions and backup.
struct SimulatedSandbox {
    enum Gateway: String { case stopped, starting, running }

    var gateway = Gateway.stopped
    /// The provider headers the running gateway was started with (applied only at a start).
    var startedWithKeys: [String: String] = [:]
    var lastBackup: String?
    var pendingDevices: [PendingDevice] = []
    var pairedDevices: [PairedDevice] = []
    /// Pending DM pairing requests by channel.
    var pairing: [String: [PairingRequest]] = [:]
    var sessions: [String: Session] = [:]
    /// Exec approvals the gateway is waiting on, and the decisions it received.
    var execApprovals: [ExecApproval] = []
    var execDecisions: [String: String] = [:]

    struct ExecApproval {
        var id: String
        var command: String
        var sessionKey: String
        var expiresAtMs: Int64

        var json: [String: Any] {
            ["id": id, "command": command, "cwd": "/home/node", "host": "gateway", "sessionKey": sessionKey, "agentId": "main",
             "allowedDecisions": ["allow-once", "allow-always", "deny"], "expiresAtMs": expiresAtMs]
        }
    }

    struct PendingDevice {
        var requestId: String
        var deviceId: String
        var publicKey: String
        var displayName: String?
        var platform: String?
        var clientId: String?
        var clientMode: String?
        var role: String
        var scopes: [String]
        var isRepair = false
        var ts: Int64

        var json: [String: Any] {
            var entry: [String: Any] = ["requestId": requestId, "deviceId": deviceId, "publicKey": publicKey, "role": role,
                                        "roles": [role], "scopes": scopes, "isRepair": isRepair, "ts": ts]
            if let displayName { entry["displayName"] = displayName }
            if let platform { entry["platform"] = platform }
            if let clientId { entry["clientId"] = clientId }
            if let clientMode { entry["clientMode"] = clientMode }
            return entry
        }
    }

    struct PairedDevice {
        var device: PendingDevice
        var approvedAtMs: Int64

        /// As the gateway lists a paired device: its tokens summarised, never the tokens.
        var json: [String: Any] {
            var entry = device.json
            entry["requestId"] = nil
            entry["ts"] = nil
            entry["isRepair"] = nil
            entry["createdAtMs"] = device.ts
            entry["approvedAtMs"] = approvedAtMs
            entry["tokens"] = [["role": device.role, "scopes": device.scopes, "createdAtMs": approvedAtMs]]
            return entry
        }
    }

    struct PairingRequest {
        var id: String
        var code: String
        var createdAt: Date
        var lastSeenAt: Date
        var meta: [String: String]

        var json: [String: Any] {
            let format = ISO8601DateFormatter()
            format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            var entry: [String: Any] = ["id": id, "code": code, "createdAt": format.string(from: createdAt), "lastSeenAt": format.string(from: lastSeenAt)]
            if !meta.isEmpty { entry["meta"] = meta }
            return entry
        }
    }

    struct Session {
        var kind: String
        var channel: String
        var updatedAt: Int64
        var totalTokens: Int64 = 0
        var messages: [(role: String, text: String, at: Int64)] = []
    }

    /// Drops what has passed its time to live: device requests after 5 minutes, DM pairing
    /// requests after an hour (as the gateway prunes them when it reads its lists).
    mutating func prune(now: Date) {
        let nowMs = Int64(now.timeIntervalSince1970 * 1_000)
        pendingDevices.removeAll { nowMs - $0.ts >= SimulatedRuntime.deviceTTLms }
        execApprovals.removeAll { $0.expiresAtMs <= nowMs }
        for channel in pairing.keys {
            pairing[channel]?.removeAll { now.timeIntervalSince($0.createdAt) >= SimulatedRuntime.pairingTTL }
        }
    }
}

extension SimulatedRuntime {
    /// The runtime's sandbox id for a tenant header: `a–z 0–9` kept (lowercased), every other
    /// character `-`, runs of `-` collapsed, `-` trimmed at both ends; empty → `openclaw-runtime`.
    /// So `agent:x`, `agent-x` and `Agent.X` name one sandbox.
    public static func sanitize(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "0"..."9", "a"..."z": out.unicodeScalars.append(scalar)
            case "A"..."Z": out += String(scalar).lowercased()
            default: if !out.hasSuffix("-") { out += "-" }
            }
        }
        while out.hasPrefix("-") { out.removeFirst() }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "openclaw-runtime" : out
    }
}
