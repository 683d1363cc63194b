import Foundation
import GRDB

/// A SHA-256 chain hash as a fixed-size value: 32 bytes held inline, so reading a log allocates
/// nothing for it. Stored as a 32-byte BLOB; spelled as 64 lowercase hex digits in exports.
public struct EventDigest: Hashable, Sendable, CustomStringConvertible {
    private var words: (UInt64, UInt64, UInt64, UInt64)

    /// The hash "before" the first event: 32 zero bytes.
    public static let zero = EventDigest(words: (0, 0, 0, 0))

    private init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// The digest of exactly 32 bytes; nil for any other length.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 32 else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: bytes) }
        self.words = words
    }

    /// The digest of exactly 32 bytes; nil for any other length.
    public init?(bytes: Data) {
        guard let digest = bytes.withUnsafeBytes({ EventDigest(bytes: $0) }) else { return nil }
        self = digest
    }

    /// The digest spelled as 64 hex digits; nil otherwise.
    public init?(hex: String) {
        guard let bytes = Data(hex: hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// Calls `body` with the 32 bytes.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try Swift.withUnsafeBytes(of: words, body)
    }

    /// The 32 bytes.
    public var data: Data { withUnsafeBytes { Data($0) } }

    /// 64 lowercase hex digits.
    public var hex: String { withUnsafeBytes { $0.hexString } }

    public var description: String { hex }

    public static func == (lhs: EventDigest, rhs: EventDigest) -> Bool {
        lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}

extension EventDigest: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { data.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> EventDigest? {
        Data.fromDatabaseValue(dbValue).flatMap { EventDigest(bytes: $0) }
    }
}
