import Domain

/// A projection row: a JSON object whose members are kept in key order (UTF-8 bytes, the order
/// ``JSONWriter`` writes objects in). Projections change a few members of small rows, event
/// after event: a short scan finds a member with no hashing, and writing a row needs no sort.
public struct Row: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// The members, in key order.
    public private(set) var members: [(key: String, value: JSONValue)]

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        members = []
        members.reserveCapacity(elements.count)
        for (key, value) in elements { insertSorted(key, value) }
    }

    public init(_ object: [String: JSONValue]) {
        members = []
        members.reserveCapacity(object.count)
        for (key, value) in object { insertSorted(key, value) }
    }

    /// Insertion from the end: rows are small, and often built in nearly sorted order.
    private mutating func insertSorted(_ key: String, _ value: JSONValue) {
        var index = members.endIndex
        while index > 0, JSONWriter.keyPrecedes(key, members[index - 1].key) { index -= 1 }
        members.insert((key: key, value: value), at: index)
    }

    /// The row as a JSON object.
    public var json: JSONValue { .object(Dictionary(uniqueKeysWithValues: members.map { ($0.key, $0.value) })) }

    /// The member `key`; setting nil removes it.
    public subscript(key: String) -> JSONValue? {
        get { members.first { $0.key == key }?.value }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                insertSorted(key, newValue)
            }
        }
    }

    /// The integer member `key` (0 when missing).
    public func int(_ key: String) -> Int64 { self[key]?.integerValue ?? 0 }
    /// The string member `key`.
    public func string(_ key: String) -> String? { self[key]?.stringValue }

    /// Writes the row as compact JSON.
    public func write(into bytes: inout [UInt8]) { JSONWriter.writeObject(members, into: &bytes) }

    public static func == (lhs: Row, rhs: Row) -> Bool {
        lhs.members.count == rhs.members.count && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
