import Foundation

/// Decodes `Decodable` types from a ``JSONValue`` (see ``JSONParser`` for why not `JSONDecoder`).
///
/// Errors are `DecodingError`s whose coding path names the offending field.
public enum JSONValueDecoder {
    public static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try Reader(value: value, parentPath: [], key: nil).decodeValue(type)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decode(type, from: try JSONParser.parse(data))
    }

    /// The `Decoder` over one value. It keeps its parent's path and its own key apart, so that
    /// decoding a field allocates no path; the full path is put together only when needed.
    struct Reader: Decoder {
        let value: JSONValue
        let parentPath: [any CodingKey]
        let key: (any CodingKey)?
        var codingPath: [any CodingKey] { key.map { parentPath + [$0] } ?? parentPath }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
            if type == JSONValue.self { return value as! T }
            return try T(from: self)
        }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            guard case .object(let members) = value else { throw mismatch(expected: "an object", codingPath) }
            return KeyedDecodingContainer(Keyed<Key>(members: members, codingPath: codingPath))
        }

        func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
            guard case .array(let elements) = value else { throw mismatch(expected: "an array", codingPath) }
            return Unkeyed(elements: elements, codingPath: codingPath)
        }

        func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(value: value, parentPath: parentPath, key: key) }

        func mismatch(expected: String, _ path: [any CodingKey]) -> DecodingError {
            .typeMismatch(Any.self, .init(codingPath: path, debugDescription: "expected \(expected), found \(value.kindName)"))
        }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: JSONValue]
        let codingPath: [any CodingKey]
        var allKeys: [Key] { members.keys.compactMap(Key.init(stringValue:)) }

        func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

        func member(_ key: Key) throws -> JSONValue {
            guard let value = members[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing field \"\(key.stringValue)\""))
            }
            return value
        }

        func decodeNil(forKey key: Key) throws -> Bool { (members[key.stringValue] ?? .null) == .null }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try Reader(value: member(key), parentPath: codingPath, key: key).decodeValue(type)
        }

        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            guard let value = members[key.stringValue], value != .null else { return nil }
            return try Reader(value: value, parentPath: codingPath, key: key).decodeValue(type)
        }

        func decode(_ type: String.Type, forKey key: Key) throws -> String {
            try Single(value: member(key), parentPath: codingPath, key: key).decode(type)
        }

        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
            try Single(value: member(key), parentPath: codingPath, key: key).decode(type)
        }

        func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
            try Single(value: member(key), parentPath: codingPath, key: key).decode(type)
        }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
            try Single(value: member(key), parentPath: codingPath, key: key).decode(type)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try Reader(value: member(key), parentPath: codingPath, key: key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try Reader(value: member(key), parentPath: codingPath, key: key).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder { Reader(value: .object(members), parentPath: codingPath, key: nil) }

        func superDecoder(forKey key: Key) throws -> any Decoder {
            Reader(value: members[key.stringValue] ?? .null, parentPath: codingPath, key: key)
        }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let elements: [JSONValue]
        let codingPath: [any CodingKey]
        var currentIndex = 0
        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        init(elements: [JSONValue], codingPath: [any CodingKey]) {
            self.elements = elements
            self.codingPath = codingPath
        }

        mutating func next() throws -> Reader {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "array ended"))
            }
            defer { currentIndex += 1 }
            return Reader(value: elements[currentIndex], parentPath: codingPath, key: IndexKey(intValue: currentIndex))
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, elements[currentIndex] == .null else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(type) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }

        mutating func superDecoder() throws -> any Decoder { try next() }
    }

    struct Single: SingleValueDecodingContainer {
        let value: JSONValue
        let parentPath: [any CodingKey]
        let key: (any CodingKey)?
        var codingPath: [any CodingKey] { key.map { parentPath + [$0] } ?? parentPath }

        func decodeNil() -> Bool { value == .null }

        func mismatch(_ expected: String) -> DecodingError {
            .typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(value.kindName)"))
        }

        func decode(_ type: Bool.Type) throws -> Bool {
            guard case .bool(let bool) = value else { throw mismatch("a boolean") }
            return bool
        }

        func decode(_ type: String.Type) throws -> String {
            guard case .string(let string) = value else { throw mismatch("a string") }
            return string
        }

        func decode(_ type: Double.Type) throws -> Double {
            switch value {
            case .double(let double): return double
            case .integer(let integer): return Double(integer)
            case .decimal(let units, let scale): return Double(units) / pow(10, Double(scale))
            default: throw mismatch("a number")
            }
        }

        func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

        /// An integer as JSON Schema has it: a number with no fraction, so `2214.0` is 2214
        /// (as a double only up to 2^53, the doubles that are exact).
        func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
            let integer: Int64
            switch value {
            case .integer(let exact): integer = exact
            case .double(let double) where double.rounded(.towardZero) == double && abs(double) <= 0x1p53: integer = Int64(double)
            default: throw mismatch("an integer")
            }
            guard let exact = T(exactly: integer) else { throw mismatch("an integer that fits \(T.self)") }
            return exact
        }

        func decode(_ type: Int.Type) throws -> Int { try integer(type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try Reader(value: value, parentPath: parentPath, key: key).decodeValue(type)
        }
    }
}

/// An array index in a coding path.
struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "[\(intValue ?? 0)]" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

extension JSONValue {
    /// What kind of value this is, for error messages.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .double, .decimal: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
