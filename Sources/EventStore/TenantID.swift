import Crypto
import Foundation

/// The id of one tenant (a WorkOS user id such as `user_01H…`, or an agent principal `agent:<id>`).
///
/// A tenant id is 1–128 characters of `A–Z a–z 0–9 _ - . :`. Anything else is refused before it
/// can reach a file name, a cache key or a query: the restriction to ASCII also rules out Unicode
/// look-alikes and canonically-equivalent spellings that Swift's `String ==` would treat as equal.
/// Files are never named from the raw id, only from ``fileStem`` (a SHA-256 of it).
public struct TenantID: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The id as the caller spelled it (validated).
    public let rawValue: String

    /// The longest accepted id, in characters.
    public static let maxLength = 128

    /// Validates `rawValue`; throws ``EventStoreError/invalidTenantID(_:)`` when it is not an id.
    public init(_ rawValue: String) throws {
        guard Self.isValid(rawValue) else {
            throw EventStoreError.invalidTenantID(Self.describeInvalid(rawValue))
        }
        self.rawValue = rawValue
    }

    public init(from decoder: any Decoder) throws {
        try self.init(decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Whether `candidate` is an acceptable tenant id.
    public static func isValid(_ candidate: String) -> Bool {
        let bytes = candidate.utf8
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        return bytes.allSatisfy(isAllowed)
    }

    /// The file name stem of this tenant's store: lowercase hex SHA-256 of `"tenant:" + id`.
    /// Two different ids never share a stem; a stem never contains a path separator.
    public var fileStem: String {
        SHA256.hash(data: Data(("tenant:" + rawValue).utf8)).hexString
    }

    public var description: String { rawValue }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"):
            return true
        default:
            return false
        }
    }

    /// A message that names the problem without echoing a hostile id back at length.
    private static func describeInvalid(_ candidate: String) -> String {
        if candidate.isEmpty { return "tenant id is empty" }
        if candidate.utf8.count > maxLength { return "tenant id is longer than \(maxLength) characters" }
        return "tenant id may only contain A-Z a-z 0-9 _ - . :"
    }
}
