import Foundation

/// The top-level members of one JSON object, each kept as the exact bytes of its value.
///
/// Import needs this to store `data` and `metadata` byte for byte as they were exported; the rest
/// of the line is decoded normally. The scanner only delimits values — the grammar is checked by
/// `JSONSerialization` over the whole line.
struct RawJSONObject {
    private(set) var members: [String: Data] = [:]

    init(_ bytes: Data) throws {
        let buffer = [UInt8](bytes)
        var index = 0
        func skipSpace() {
            while index < buffer.count, [0x20, 0x09, 0x0A, 0x0D].contains(buffer[index]) { index += 1 }
        }
        func expect(_ byte: UInt8) throws {
            skipSpace()
            guard index < buffer.count, buffer[index] == byte else {
                throw RawJSONError("expected '\(Character(UnicodeScalar(byte)))' at byte \(index)")
            }
            index += 1
        }
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "}") { return }
        while true {
            skipSpace()
            let keyStart = index
            index = try Self.endOfValue(buffer, from: index)
            guard let key = try JSONSerialization.jsonObject(
                with: Data(buffer[keyStart..<index]), options: .fragmentsAllowed) as? String
            else { throw RawJSONError("expected a member name at byte \(keyStart)") }
            try expect(UInt8(ascii: ":"))
            skipSpace()
            let valueStart = index
            index = try Self.endOfValue(buffer, from: index)
            members[key] = Data(buffer[valueStart..<index])
            skipSpace()
            guard index < buffer.count else { throw RawJSONError("unterminated object") }
            if buffer[index] == UInt8(ascii: "}") { return }
            try expect(UInt8(ascii: ","))
        }
    }

    /// The index just past the JSON value starting at `start`.
    private static func endOfValue(_ buffer: [UInt8], from start: Int) throws -> Int {
        guard start < buffer.count else { throw RawJSONError("missing value at byte \(start)") }
        var index = start
        var depth = 0
        var inString = false
        while index < buffer.count {
            let byte = buffer[index]
            if inString {
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if depth == 0 { return index + 1 }
                }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return index }
                    depth -= 1
                    if depth == 0 { return index + 1 }
                case UInt8(ascii: ","), 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ":"):
                    if depth == 0 { return index }
                default: break
                }
            }
            index += 1
        }
        guard depth == 0, !inString else { throw RawJSONError("unterminated value at byte \(start)") }
        return index
    }
}

struct RawJSONError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
