import EventStore
import Foundation

/// The server's settings, read from the environment by ``init(environment:)``.
///
/// | variable | meaning |
/// |---|---|
/// | `CLAWCLOUD_INTERNAL_KEY` | required: the key the website sends as `X-OA-Internal-Key` |
/// | `CLAWCLOUD_ADMIN_USER_IDS` | comma list of user ids allowed on `/api/admin/*` |
/// | `CLAWCLOUD_RUNTIME_URL` | base URL of the OpenClaw runtime |
/// | `CLAWCLOUD_SERVICE_TOKEN` | the token ClawCloud and the runtime share (both directions) |
/// | `CLAWCLOUD_ENCRYPTION_KEY` | 32 bytes, hex or base64: encrypts secrets at rest |
/// | `CLAWCLOUD_DEFAULT_MODEL` | the model the runtime uses when a request names none (`x-openclaw-default-model`) |
/// | `CLAWCLOUD_RUNTIME_TIMEOUT_S` | how long a runtime call may take (default 210: a 90 s cold start and a 120 s send) |
public struct GatewayConfiguration: Sendable {
    public var internalKey: String
    public var adminUserIDs: Set<String>
    public var runtimeURL: String?
    public var serviceToken: String?
    /// The 32-byte key for secrets at rest (use as `SymmetricKey(data:)`).
    public var encryptionKey: Data?
    /// Sent to the runtime on every call as `x-openclaw-default-model`, as the original API sent
    /// `OPENCLAW_DEFAULT_MODEL`.
    public var defaultModel: String?
    /// Largest request body accepted (chat has its own, larger limit).
    public var bodyLimit = 1 << 20
    public var chatBodyLimit = 20 << 20
    /// How often an idle `/api/stream` sends a comment line.
    public var heartbeat: Duration = .seconds(15)
    /// Changes a stream client may fall behind by before it is dropped (it resumes with `Last-Event-ID`).
    public var streamBuffer = 10_000
    /// How long a runtime call may take before its answer counts as lost: a cold start takes up
    /// to 90 s, a session send up to 120 s.
    public var runtimeTimeoutSeconds = 210
    /// How long a caller waits for a runtime side effect before it is answered
    /// `202 {status: "in_progress", effectId}` (the effect goes on; its outcome arrives on the stream).
    public var effectWait: Duration = .seconds(25)
    /// Credits charged per token of chat usage, in micro-USD.
    public var microsPerToken: Int64 = 2

    public init(internalKey: String, adminUserIDs: Set<String> = [], runtimeURL: String? = nil, serviceToken: String? = nil,
                encryptionKey: Data? = nil) {
        self.internalKey = internalKey
        self.adminUserIDs = adminUserIDs
        self.runtimeURL = runtimeURL
        self.serviceToken = serviceToken
        self.encryptionKey = encryptionKey
    }

    /// Reads the settings; throws ``ConfigurationError`` naming the variable that is missing or wrong.
    public init(environment: [String: String]) throws {
        guard let key = environment["CLAWCLOUD_INTERNAL_KEY"]?.trimmingCharacters(in: .whitespaces), !key.isEmpty else {
            throw ConfigurationError("CLAWCLOUD_INTERNAL_KEY is not set: the server needs the key the website sends as X-OA-Internal-Key")
        }
        self.init(internalKey: key)
        adminUserIDs = Set((environment["CLAWCLOUD_ADMIN_USER_IDS"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        runtimeURL = environment["CLAWCLOUD_RUNTIME_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let runtimeURL, URL(string: runtimeURL)?.scheme.map({ ["http", "https"].contains($0) }) != true {
            throw ConfigurationError("CLAWCLOUD_RUNTIME_URL must be an http(s) URL")
        }
        serviceToken = environment["CLAWCLOUD_SERVICE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let model = environment["CLAWCLOUD_DEFAULT_MODEL"], !model.isEmpty {
            guard model.utf8.count <= 200, model.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw ConfigurationError("CLAWCLOUD_DEFAULT_MODEL must be 1-200 printable ASCII characters without spaces, e.g. openai/gpt-4o-mini")
            }
            defaultModel = model
        }
        if let text = environment["CLAWCLOUD_RUNTIME_TIMEOUT_S"], !text.isEmpty {
            guard let seconds = Int(text), (1...3_600).contains(seconds) else {
                throw ConfigurationError("CLAWCLOUD_RUNTIME_TIMEOUT_S must be a whole number of seconds in 1...3600")
            }
            runtimeTimeoutSeconds = seconds
        }
        if let text = environment["CLAWCLOUD_ENCRYPTION_KEY"], !text.isEmpty {
            guard let bytes = Self.keyBytes(text) else {
                throw ConfigurationError("CLAWCLOUD_ENCRYPTION_KEY must be 32 bytes, as 64 hex digits or base64")
            }
            encryptionKey = bytes
        }
    }

    private static func keyBytes(_ text: String) -> Data? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text.utf8.count == 64, let bytes = Data(hex: text) { return bytes }
        guard let data = Data(base64Encoded: text), data.count == 32 else { return nil }
        return data
    }
}

/// A setting is missing or malformed; the message says which and why.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
