import Foundation

extension DomainEvent {
    /// The event type name, e.g. `thread.created`.
    public var type: String { Swift.type(of: payload).type }

    /// The stream the event belongs to.
    public var stream: String { payload.stream }

    /// The schema version this code writes for the event's type.
    public var schemaVersion: Int { Upcaster.currentVersion(of: type) }

    /// The payload as sorted-key, single-line JSON.
    public func data() -> Data {
        // Payloads are plain values of strings, numbers, arrays and objects: encoding cannot fail.
        try! JSONValueEncoder.data(payload)
    }

    /// Every event type name this code knows.
    public static var types: [String] { cases.map(\.type) }

    /// One event type of the catalog.
    struct Case: Sendable {
        let type: String
        let payloadType: ObjectIdentifier
        let decode: @Sendable (JSONValue) throws -> DomainEvent
        let wrap: @Sendable (any EventPayload) -> DomainEvent?
    }

    static func entry<P: EventPayload>(_ wrap: @escaping @Sendable (P) -> DomainEvent) -> Case {
        Case(type: P.type, payloadType: ObjectIdentifier(P.self),
             decode: { value in wrap(try JSONValueDecoder.decode(P.self, from: value)) },
             wrap: { payload in (payload as? P).map(wrap) })
    }

    private static let decoders = Dictionary(uniqueKeysWithValues: cases.map { ($0.type, $0.decode) })
    static let casesByPayload = Dictionary(uniqueKeysWithValues: cases.map { ($0.payloadType, $0) })

    /// Reads a stored event: upcasts an older schema version, then decodes the payload.
    ///
    /// - Throws: ``DomainError/invalid(_:)`` for an unknown type, a version newer than this code
    ///   knows, or a payload that does not match its type.
    public static func decode(type: String, schemaVersion: Int, data: Data) throws -> DomainEvent {
        guard let decoder = decoders[type] else { throw DomainError.invalid("unknown event type \(type)") }
        let value: JSONValue
        do {
            value = try JSONParser.parse(data)
        } catch {
            throw DomainError.invalid("\(type): \(error)")
        }
        let current = try Upcaster.upcast(type: type, from: schemaVersion, value)
        do {
            return try decoder(current)
        } catch let error as DecodingError {
            throw DomainError.invalid("\(type) v\(schemaVersion): \(DomainError.describe(error))")
        }
    }
}
