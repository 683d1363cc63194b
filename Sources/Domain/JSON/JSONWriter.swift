import Foundation

/// Writes a ``JSONValue`` as compact, single-line JSON with object keys sorted by their UTF-8
/// bytes: equal values give equal bytes (what golden files, hashes and idempotency checks need).
public enum JSONWriter {
    public static func data(_ value: JSONValue) -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        write(value, into: &bytes)
        return Data(bytes)
    }

    public static func string(_ value: JSONValue) -> String {
        var bytes: [UInt8] = []
        write(value, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Indented JSON (two spaces, keys sorted, a trailing newline) for files people read and
    /// diff: golden fixture expectations.
    public static func pretty(_ value: JSONValue) -> Data {
        var bytes: [UInt8] = []
        writePretty(value, indent: 0, into: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        return Data(bytes)
    }

    private static func writePretty(_ value: JSONValue, indent: Int, into bytes: inout [UInt8]) {
        func newline(_ depth: Int) {
            bytes.append(UInt8(ascii: "\n"))
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * 2))
        }
        switch value {
        case .array(let elements) where !elements.isEmpty:
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                writePretty(element, indent: indent + 1, into: &bytes)
            }
            newline(indent)
            bytes.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            bytes.append(UInt8(ascii: "{"))
            for (index, member) in sortedMembers(members).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                writeString(member.key, into: &bytes)
                bytes.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
                writePretty(member.value, indent: indent + 1, into: &bytes)
            }
            newline(indent)
            bytes.append(UInt8(ascii: "}"))
        default:
            write(value, into: &bytes)
        }
    }

    public static func write(_ value: JSONValue, into bytes: inout [UInt8]) {
        switch value {
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element, into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            writeObject(sortedMembers(members), into: &bytes)
        default:
            writeScalar(value, into: &bytes)
        }
    }

    /// Writes an object whose members are already in key order (UTF-8 bytes), as
    /// ``write(_:into:)`` would write it from a dictionary.
    public static func writeObject(_ members: [(key: String, value: JSONValue)], into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "{"))
        for (index, member) in members.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            writeString(member.key, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
            write(member.value, into: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// Whether `key` sorts before `other` in written objects (by UTF-8 bytes).
    public static func keyPrecedes(_ key: String, _ other: String) -> Bool {
        var (key, other) = (key, other)
        return key.withUTF8 { a in
            other.withUTF8 { b in
                let common = min(a.count, b.count)
                let order = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
                return order != 0 ? order < 0 : a.count < b.count
            }
        }
    }

    private static func sortedMembers(_ members: [String: JSONValue]) -> [(key: String, value: JSONValue)] {
        members.sorted { keyPrecedes($0.key, $1.key) }
    }

    private static func writeScalar(_ value: JSONValue, into bytes: inout [UInt8]) {
        switch value {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let bool): bytes.append(contentsOf: (bool ? "true" : "false").utf8)
        case .integer(let integer): bytes.append(contentsOf: String(integer).utf8)
        case .double(let double):
            // JSON has no infinities or NaN; they are written as null.
            bytes.append(contentsOf: (double.isFinite ? "\(double)" : "null").utf8)
        case .decimal(let units, let scale): writeDecimal(units, scale: Int(scale), into: &bytes)
        case .string(let string): writeString(string, into: &bytes)
        case .array, .object: write(value, into: &bytes)
        }
    }

    /// `units` × 10^−`scale` in digits: `4999986, 6` → `4.999986`, `5000000, 6` → `5`, `-50, 2` → `-0.5`.
    static func writeDecimal(_ units: Int64, scale: Int, into bytes: inout [UInt8]) {
        var digits = Array(String(units.magnitude).utf8)
        if digits.count <= scale { digits.insert(contentsOf: Array(repeating: UInt8(ascii: "0"), count: scale - digits.count + 1), at: 0) }
        var fraction = Array(digits.suffix(scale))
        while fraction.last == UInt8(ascii: "0") { fraction.removeLast() }
        if units < 0 { bytes.append(UInt8(ascii: "-")) }
        bytes.append(contentsOf: digits.prefix(digits.count - scale))
        if !fraction.isEmpty {
            bytes.append(UInt8(ascii: "."))
            bytes.append(contentsOf: fraction)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    public static func writeString(_ string: String, into bytes: inout [UInt8]) {
        var string = string
        string.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            // Runs of bytes that need no escaping are copied at once.
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                appendEscaped(byte, into: &bytes)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
            bytes.append(UInt8(ascii: "\""))
        }
    }

    private static func appendEscaped(_ byte: UInt8, into bytes: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        default:
            bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                      hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
        }
    }
}
