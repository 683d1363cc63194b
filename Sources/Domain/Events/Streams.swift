/// Stream names of the aggregates (DESIGN §3).
public enum Streams {
    public static func access(_ userId: String) -> String { "access-\(userId)" }
    public static func waitlist(_ email: String) -> String { "waitlist-\(email)" }
    public static let instance = "instance"
    public static func device(_ requestId: String) -> String { "device-\(requestId)" }
    public static func dmPairing(_ channel: String) -> String { "dm-pairing-\(channel)" }
    public static func approval(_ id: String) -> String { "approval-\(id)" }
    public static func execApproval(_ id: String) -> String { "exec-approval-\(id)" }
    public static func thread(_ id: String) -> String { "thread-\(id)" }
    public static func session(_ key: String) -> String { "session-\(key)" }
    public static func run(_ id: String) -> String { "run-\(id)" }
    public static func tool(_ id: String) -> String { "tool-\(id)" }
    public static let credits = "credits"
}
