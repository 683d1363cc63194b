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

    /// A node being built: containers hand out references to their children, as `Encoder`
    /// requires. Scalar members are kept as values; only nested containers get a node of their
    /// own. Members and elements are mutated in place (stored properties, not enum payloads, so
    /// adding one never copies the others).
    final class Node {
        enum Kind { case empty, value, object, array }

        /// A member of an object or an element of an array.
        enum Member {
            case value(JSONValue)
            case node(Node)

            var value: JSONValue {
                switch self {
                case .value(let value): value
                case .node(let node): node.value
                }
            }
        }

        private(set) var kind = Kind.empty
        private var scalar = JSONValue.null
        private var members: [String: Member] = [:]
        private var elements: [Member] = []

        var value: JSONValue {
            switch kind {
            case .empty: .object([:])
            case .value: scalar
            case .object: .object(members.mapValues(\.value))
            case .array: .array(elements.map(\.value))
            }
        }

        var count: Int { elements.count }

        func store(_ value: JSONValue) {
            kind = .value
            scalar = value
        }

        /// Makes this node an object (keeping its members if it is one already).
        func becomeObject() {
            guard kind != .object else { return }
            kind = .object
            members = [:]
        }

        /// Makes this node an array (keeping its elements if it is one already).
        func becomeArray() {
            guard kind != .array else { return }
            kind = .array
            elements = []
        }

        func set(_ key: String, _ value: JSONValue) {
            becomeObject()
            members[key] = .value(value)
        }

        func child(_ key: String) -> Node {
            becomeObject()
            if case .node(let node)? = members[key] { return node }
            let node = Node()
            members[key] = .node(node)
            return node
        }

        func append(_ value: JSONValue) {
            becomeArray()
            elements.append(.value(value))
        }

        func appendChild() -> Node {
            becomeArray()
            let node = Node()
            elements.append(.node(node))
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

        func store(_ value: JSONValue) { node.store(value) }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            node.becomeObject()
            return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            node.becomeArray()
            return Unkeyed(node: node, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Single(writer: self) }

        static func encode<T: Encodable>(_ value: T, into node: Node, codingPath: [any CodingKey]) throws {
            if let json = value as? JSONValue {
                node.store(json)
                return
            }
            try value.encode(to: Writer(node: node, codingPath: codingPath))
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        let codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) { node.set(key.stringValue, .null) }
        mutating func encode(_ value: String, forKey key: Key) { node.set(key.stringValue, .string(value)) }
        mutating func encode(_ value: Bool, forKey key: Key) { node.set(key.stringValue, .bool(value)) }
        mutating func encode(_ value: Int64, forKey key: Key) { node.set(key.stringValue, .integer(value)) }
        mutating func encode(_ value: Int, forKey key: Key) { node.set(key.stringValue, .integer(Int64(value))) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            if let json = value as? JSONValue { return node.set(key.stringValue, json) }
            try value.encode(to: Writer(node: node.child(key.stringValue), codingPath: codingPath + [key]))
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
        var count: Int { node.count }

        mutating func encodeNil() { node.append(.null) }
        mutating func encode(_ value: String) { node.append(.string(value)) }

        mutating func encode<T: Encodable>(_ value: T) throws {
            if let json = value as? JSONValue { return node.append(json) }
            try value.encode(to: Writer(node: node.appendChild(), codingPath: codingPath + [IndexKey(intValue: count)]))
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
