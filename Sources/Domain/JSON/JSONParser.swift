import Foundation

/// A JSON syntax error, with the byte offset where it was found.
public struct JSONSyntaxError: Error, CustomStringConvertible, Sendable {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// Parses JSON text (RFC 8259) into a ``JSONValue``, in one pass over the bytes.
///
/// It exists because the replay path decodes every event of a tenant's history: it is several
/// times faster than `JSONDecoder` on the small objects events are made of.
public enum JSONParser {
    /// Nesting deeper than this is refused (it would only ever come from hostile input).
    public static let maxDepth = 128

    public static func parse(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { try parse($0) }
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        var cursor = Cursor(bytes: bytes)
        cursor.skipWhitespace()
        let value = try cursor.value(depth: 0)
        cursor.skipWhitespace()
        guard cursor.offset == bytes.count else { throw cursor.error("unexpected text after the value") }
        return value
    }

    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        func error(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(offset: offset, reason: reason) }

        var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

        mutating func skipWhitespace() {
            while offset < bytes.count {
                switch bytes[offset] {
                case 0x20, 0x0A, 0x0D, 0x09: offset += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < JSONParser.maxDepth else { throw error("nested too deeply") }
            guard let byte = current else { throw error("unexpected end of input") }
            switch byte {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw error("unexpected character")
            }
        }

        mutating func literal(_ word: StaticString) throws {
            let count = word.utf8CodeUnitCount
            guard offset + count <= bytes.count,
                  memcmp(bytes.baseAddress! + offset, word.utf8Start, count) == 0
            else { throw error("unexpected character") }
            offset += count
        }

        mutating func object(depth: Int) throws -> JSONValue {
            offset += 1
            var members = [String: JSONValue](minimumCapacity: 8)
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                offset += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error("expected a member name") }
                let key = try string()
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
                offset += 1
                skipWhitespace()
                guard members.updateValue(try value(depth: depth + 1), forKey: key) == nil else {
                    throw error("duplicate member \"\(key)\"")
                }
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): offset += 1
                case UInt8(ascii: "}"): offset += 1; return .object(members)
                default: throw error("expected ',' or '}'")
                }
            }
        }

        mutating func array(depth: Int) throws -> JSONValue {
            offset += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                offset += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                switch current {
                case UInt8(ascii: ","): offset += 1
                case UInt8(ascii: "]"): offset += 1; return .array(elements)
                default: throw error("expected ',' or ']'")
                }
            }
        }

        mutating func number() throws -> JSONValue {
            let start = offset
            let negative = current == UInt8(ascii: "-")
            if negative { offset += 1 }
            guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
                throw error("expected a digit")
            }
            // Integers are accumulated directly (negatively, so Int64.min fits); anything else,
            // or an overflow, goes through Double's parser.
            var accumulated: Int64 = 0
            var fits = true
            if first == UInt8(ascii: "0") {
                offset += 1
            } else {
                while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                    let (times10, o1) = accumulated.multipliedReportingOverflow(by: 10)
                    let (next, o2) = times10.subtractingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
                    if o1 || o2 { fits = false }
                    accumulated = next
                    offset += 1
                }
            }
            var isInteger = true
            if current == UInt8(ascii: ".") {
                isInteger = false
                offset += 1
                guard skipDigits() else { throw error("expected a digit after '.'") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                isInteger = false
                offset += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
                guard skipDigits() else { throw error("expected a digit in the exponent") }
            }
            if isInteger, fits {
                if negative { return .integer(accumulated) }
                if accumulated != .min { return .integer(-accumulated) }
            }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
            guard let double = Double(text), double.isFinite else { throw error("number out of range") }
            return .double(double)
        }

        @discardableResult
        mutating func skipDigits() -> Bool {
            let start = offset
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { offset += 1 }
            return offset > start
        }

        /// A string; the fast path copies a run without escapes in one go.
        mutating func string() throws -> String {
            offset += 1
            let start = offset
            var nonASCII: UInt8 = 0
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte == UInt8(ascii: "\"") {
                    let run = UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
                    offset += 1
                    // ASCII needs no validation (and skips the slower validating initializer).
                    if nonASCII & 0x80 == 0 { return String(decoding: run, as: UTF8.self) }
                    return try Self.validated(run, at: start)
                }
                nonASCII |= byte
                if byte == UInt8(ascii: "\\") { return try escapedString(from: start) }
                if byte < 0x20 { throw error("control character in a string") }
                offset += 1
            }
            throw error("unterminated string")
        }

        static func validated(_ run: UnsafeRawBufferPointer, at offset: Int) throws -> String {
            guard let string = String(validating: run, as: UTF8.self) else {
                throw JSONSyntaxError(offset: offset, reason: "invalid UTF-8 in a string")
            }
            return string
        }

        mutating func escapedString(from start: Int) throws -> String {
            var utf8 = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<offset]))
            while let byte = current {
                offset += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return try utf8.withUnsafeBytes { try Self.validated($0, at: start) }
                case UInt8(ascii: "\\"):
                    guard let escape = current else { throw error("unterminated string") }
                    offset += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                    case UInt8(ascii: "b"): utf8.append(0x08)
                    case UInt8(ascii: "f"): utf8.append(0x0C)
                    case UInt8(ascii: "n"): utf8.append(0x0A)
                    case UInt8(ascii: "r"): utf8.append(0x0D)
                    case UInt8(ascii: "t"): utf8.append(0x09)
                    case UInt8(ascii: "u"): utf8.append(contentsOf: try unicodeEscape())
                    default: throw error("invalid escape")
                    }
                case 0..<0x20:
                    throw error("control character in a string")
                default:
                    utf8.append(byte)
                }
            }
            throw error("unterminated string")
        }

        /// The UTF-8 of a `\uXXXX` escape (the `\u` already read), joining surrogate pairs.
        mutating func unicodeEscape() throws -> [UInt8] {
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard offset + 2 <= bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u")
                else { throw error("unpaired surrogate") }
                offset += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
            return Array(String(Character(unicode)).utf8)
        }

        mutating func hex4() throws -> UInt32 {
            guard offset + 4 <= bytes.count else { throw error("short \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[offset]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw error("invalid \\u escape")
                }
                value = value << 4 | UInt32(digit)
                offset += 1
            }
            return value
        }
    }
}
