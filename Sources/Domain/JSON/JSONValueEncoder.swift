import Foundation

/// Encodes `Encodable` values into a ``JSONValue`` (and, with ``JSONWriter``, into sorted-key
/// single-line JSON). Nil optionals are left out, as `JSONEncoder` does.
public enum JSONValueEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        if let json = value as? JSONValue { return json }
        let writer = Writer(codingPath: [])
        try value.encode(to: writer)
        return writer.result
    }

    /// Sorted-key, single-line JSON bytes.
    public static func data<T: Encodable>(_ value: T) throws -> Data {
        JSONWriter.data(try encode(value))
    }

    /// A node being built: containers hand out references to their children, as `Encoder` requires.
    final class Node {
        enum Content {
            case empty
            case value(JSONValue)
            case object([String: Node])
            case array([Node])
        }

        var content: Content = .empty

        var value: JSONValue {
            switch content {
            case .empty: .object([:])
            case .value(let value): value
            case .object(let members): .object(members.mapValues(\.value))
            case .array(let elements): .array(elements.map(\.value))
            }
        }

        func child(_ key: String) -> Node {
            var members: [String: Node] = [:]
            if case .object(let existing) = content { members = existing }
            let node = members[key] ?? Node()
            members[key] = node
            content = .object(members)
            return node
        }

        func appendChild() -> Node {
            var elements: [Node] = []
            if case .array(let existing) = content { elements = existing }
            let node = Node()
            elements.append(node)
            content = .array(elements)
            return node
        }
    }

    /// The `Encoder` writing into one node.
    final class Writer: Encoder {
        let node: Node
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        init(node: Node = Node(), codingPath: [any CodingKey]) {
            self.node = node
            self.codingPath = codingPath
        }

        var result: JSONValue { node.value }

        func store(_ value: JSONValue) { node.content = .value(value) }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if case .object = node.content {} else { node.content = .object([:]) }
            return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if case .array = node.content {} else { node.content = .array([]) }
            return Unkeyed(node: node, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Single(writer: self) }

        static func encode<T: Encodable>(_ value: T, into node: Node, codingPath: [any CodingKey]) throws {
            if let json = value as? JSONValue {
                node.content = .value(json)
                return
            }
            try value.encode(to: Writer(node: node, codingPath: codingPath))
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        let codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) { node.child(key.stringValue).content = .value(.null) }
        mutating func encode(_ value: String, forKey key: Key) { node.child(key.stringValue).content = .value(.string(value)) }
        mutating func encode(_ value: Bool, forKey key: Key) { node.child(key.stringValue).content = .value(.bool(value)) }
        mutating func encode(_ value: Int64, forKey key: Key) { node.child(key.stringValue).content = .value(.integer(value)) }
        mutating func encode(_ value: Int, forKey key: Key) { node.child(key.stringValue).content = .value(.integer(Int64(value))) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try Writer.encode(value, into: node.child(key.stringValue), codingPath: codingPath + [key])
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            Writer(node: node.child(key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            Writer(node: node.child(key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { Writer(node: node.child("super"), codingPath: codingPath) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { Writer(node: node.child(key.stringValue), codingPath: codingPath + [key]) }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        let codingPath: [any CodingKey]
        var count: Int {
            if case .array(let elements) = node.content { return elements.count }
            return 0
        }

        mutating func encodeNil() { node.appendChild().content = .value(.null) }

        mutating func encode<T: Encodable>(_ value: T) throws {
            try Writer.encode(value, into: node.appendChild(), codingPath: codingPath + [IndexKey(intValue: count)])
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            Writer(node: node.appendChild(), codingPath: codingPath).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            Writer(node: node.appendChild(), codingPath: codingPath).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { Writer(node: node.appendChild(), codingPath: codingPath) }
    }

    struct Single: SingleValueEncodingContainer {
        let writer: Writer
        var codingPath: [any CodingKey] { writer.codingPath }

        mutating func encodeNil() { writer.store(.null) }
        mutating func encode(_ value: Bool) { writer.store(.bool(value)) }
        mutating func encode(_ value: String) { writer.store(.string(value)) }
        mutating func encode(_ value: Double) { writer.store(.double(value)) }
        mutating func encode(_ value: Float) { writer.store(.double(Double(value))) }
        mutating func encode(_ value: Int) { writer.store(.integer(Int64(value))) }
        mutating func encode(_ value: Int8) { writer.store(.integer(Int64(value))) }
        mutating func encode(_ value: Int16) { writer.store(.integer(Int64(value))) }
        mutating func encode(_ value: Int32) { writer.store(.integer(Int64(value))) }
        mutating func encode(_ value: Int64) { writer.store(.integer(value)) }
        mutating func encode(_ value: UInt8) { writer.store(.integer(Int64(value))) }
        mutating func encode(_ value: UInt16) { writer.store(.integer(Int64(value))) }
        mutating func encode(_ value: UInt32) { writer.store(.integer(Int64(value))) }

        mutating func encode(_ value: UInt) throws { writer.store(.integer(try Self.exact(value, codingPath))) }
        mutating func encode(_ value: UInt64) throws { writer.store(.integer(try Self.exact(value, codingPath))) }

        static func exact<T: BinaryInteger>(_ value: T, _ path: [any CodingKey]) throws -> Int64 {
            guard let exact = Int64(exactly: value) else {
                throw EncodingError.invalidValue(value, .init(codingPath: path, debugDescription: "does not fit a 64-bit integer"))
            }
            return exact
        }

        mutating func encode<T: Encodable>(_ value: T) throws {
            try Writer.encode(value, into: writer.node, codingPath: codingPath)
        }
    }
}
