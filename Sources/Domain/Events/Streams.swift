import Crypto

/// Stream names of the aggregates (DESIGN §3): a prefix and the aggregate's id. A name is at most
/// 256 bytes, as the event store takes them; an id that would make it longer (an email or a
/// session key near its limit) is named by its SHA-256 instead (`waitlist-sha256:<hex>`).
public enum Streams {
    public static func access(_ userId: String) -> String { named("access-", userId) }
    public static func waitlist(_ email: String) -> String { named("waitlist-", email) }
    public static let instance = "instance"
    public static func device(_ requestId: String) -> String { named("device-", requestId) }
    public static func dmPairing(_ channel: String) -> String { named("dm-pairing-", channel) }
    public static func approval(_ id: String) -> String { named("approval-", id) }
    public static func execApproval(_ id: String) -> String { named("exec-approval-", id) }
    public static func thread(_ id: String) -> String { named("thread-", id) }
    public static func session(_ key: String) -> String { named("session-", key) }
    public static func run(_ id: String) -> String { named("run-", id) }
    public static func tool(_ id: String) -> String { named("tool-", id) }
    public static func effect(_ id: String) -> String { named("effect-", id) }
    public static let credits = "credits"
    public static func agent(_ agentUserId: String) -> String { named("agent-", agentUserId) }

    static let maxLength = 256

    private static func named(_ prefix: String, _ id: String) -> String {
        guard prefix.utf8.count + id.utf8.count > maxLength else { return prefix + id }
        let digest = SHA256.hash(data: Array(id.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }
        return prefix + "sha256:" + digest.joined()
    }
}
