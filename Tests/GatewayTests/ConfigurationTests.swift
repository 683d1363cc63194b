import EventStore
import Foundation
import Gateway
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    static let internalKey = ["CLAWCLOUD_INTERNAL_KEY": "k"]

    @Test("CLAWCLOUD_ENCRYPTION_KEY is 32 bytes as 64 hex digits or base64; anything else is refused, never a crash")
    func encryptionKey() throws {
        let bytes = Data((0..<32).map { UInt8($0) })
        let hex = try GatewayConfiguration(environment: Self.internalKey.merging(["CLAWCLOUD_ENCRYPTION_KEY": bytes.hexString]) { $1 })
        #expect(hex.encryptionKey == bytes)
        let base64 = try GatewayConfiguration(environment: Self.internalKey.merging(["CLAWCLOUD_ENCRYPTION_KEY": bytes.base64EncodedString()]) { $1 })
        #expect(base64.encryptionKey == bytes)
        // Too short; fullwidth digits that look like hex; 64 hex digits of which one is not.
        for bad in [String(repeating: "ab", count: 16), String(repeating: "\u{FF10}", count: 64), String(repeating: "a", count: 63) + "g"] {
            #expect(throws: ConfigurationError.self) {
                try GatewayConfiguration(environment: Self.internalKey.merging(["CLAWCLOUD_ENCRYPTION_KEY": bad]) { $1 })
            }
        }
    }

    @Test("CLAWCLOUD_DEFAULT_MODEL is a model id: printable ASCII without spaces, at most 200 bytes")
    func defaultModel() throws {
        #expect(try GatewayConfiguration(environment: Self.internalKey).defaultModel == nil)
        #expect(try GatewayConfiguration(environment: Self.internalKey.merging(["CLAWCLOUD_DEFAULT_MODEL": "openai/gpt-4o-mini"]) { $1 }).defaultModel == "openai/gpt-4o-mini")
        for bad in ["gpt 4", "gpt\u{7}", String(repeating: "m", count: 201)] {
            #expect(throws: ConfigurationError.self) {
                try GatewayConfiguration(environment: Self.internalKey.merging(["CLAWCLOUD_DEFAULT_MODEL": bad]) { $1 })
            }
        }
    }
}
