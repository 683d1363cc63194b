import Foundation

/// Hexadecimal spelling of bytes (hashes, digests, ids).
enum Hex {
    /// The value of one hex digit (either case); nil for anything else.
    static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Data {
    /// Bytes from lowercase or uppercase hex; nil when `hex` is not an even run of hex digits.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = Hex.value(of: digits[index]), let low = Hex.value(of: digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(bytes)
    }
}

extension Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Appends the lowercase hexadecimal spelling of `bytes` to `spelled`.
    static func append<Bytes: Sequence<UInt8>>(_ bytes: Bytes, to spelled: inout [UInt8]) {
        for byte in bytes {
            spelled.append(digits[Int(byte >> 4)])
            spelled.append(digits[Int(byte & 0x0F)])
        }
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hexadecimal spelling of the bytes.
    public var hexString: String {
        var spelled: [UInt8] = []
        spelled.reserveCapacity(64)
        Hex.append(self, to: &spelled)
        return String(decoding: spelled, as: UTF8.self)
    }
}
