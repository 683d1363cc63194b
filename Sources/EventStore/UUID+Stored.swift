import Foundation

extension UUID {
    /// How ids are spelled in the `events` table, in exports and in the ids the gateway makes:
    /// lowercase, hyphenated.
    public var storedSpelling: String {
        var spelled: [UInt8] = []
        appendStoredSpelling(to: &spelled)
        return String(decoding: spelled, as: UTF8.self)
    }

    /// Appends the stored spelling to `spelled` (without Foundation's `uuidString`, which
    /// formats through `sprintf` on Linux).
    func appendStoredSpelling(to spelled: inout [UInt8]) {
        spelled.reserveCapacity(spelled.count + 36)
        withUnsafeBytes(of: uuid) { bytes in
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { spelled.append(UInt8(ascii: "-")) }
                Hex.append(CollectionOfOne(byte), to: &spelled)
            }
        }
    }

    /// Parses the 36-character hyphenated spelling (either case).
    init?(storedSpelling text: String) {
        var text = text
        guard let uuid = text.withUTF8({ Self.parse(UnsafeRawBufferPointer($0)) }) else { return nil }
        self.init(uuid: uuid)
    }

    /// Parses the spelling straight from a row's bytes, without making a `String` and without
    /// Foundation's parser (which goes through `sscanf` on Linux and dominated log reads).
    init?(storedSpelling bytes: UnsafeRawBufferPointer) {
        guard let uuid = Self.parse(bytes) else { return nil }
        self.init(uuid: uuid)
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer) -> uuid_t? {
        let dash = UInt8(ascii: "-")
        guard bytes.count == 36, bytes[8] == dash, bytes[13] == dash, bytes[18] == dash, bytes[23] == dash else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        var digits = 0
        for index in 0..<36 where index != 8 && index != 13 && index != 18 && index != 23 {
            guard let value = Hex.value(of: bytes[index]) else { return nil }
            if digits < 16 { high = high << 4 | UInt64(value) } else { low = low << 4 | UInt64(value) }
            digits += 1
        }
        func byte(_ word: UInt64, _ index: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: word >> (56 - 8 * index)) }
        return (byte(high, 0), byte(high, 1), byte(high, 2), byte(high, 3), byte(high, 4), byte(high, 5), byte(high, 6), byte(high, 7),
                byte(low, 0), byte(low, 1), byte(low, 2), byte(low, 3), byte(low, 4), byte(low, 5), byte(low, 6), byte(low, 7))
    }
}
