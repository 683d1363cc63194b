/// Brings stored event payloads of older schema versions up to the shape this code reads.
///
/// Each entry turns version *n* of a type into *n + 1*; reading applies them in order, so any
/// old version becomes the current one. Events are never rewritten in the store: the log keeps
/// what was written, and upcasting happens on every read (replay, rebuild, decide).
///
/// To change an event's shape: bump its version in ``currentVersions``, add the step here, and
/// add a fixture line at the old version (fixtures/tenants/new-user-first-chat holds a
/// thread.created v1).
public enum Upcaster {
    /// The schema version written for each type (types not listed are at version 1).
    static let currentVersions: [String: Int] = [
        ThreadCreated.type: 2,
    ]

    /// One step: from `version` to `version + 1`.
    private static let steps: [String: [Int: @Sendable (JSONValue) throws -> JSONValue]] = [
        // thread.created v1 → v2: the field `type` (chat/project/openclaw) was renamed `kind`,
        // so that threads read like the website's `threads.kind`.
        ThreadCreated.type: [1: { value in try renamed(value, from: "type", to: "kind") }],
    ]

    public static func currentVersion(of type: String) -> Int { currentVersions[type] ?? 1 }

    /// `value` (written at `version`) as the current version of `type`.
    public static func upcast(type: String, from version: Int, _ value: JSONValue) throws -> JSONValue {
        let current = currentVersion(of: type)
        guard version >= 1, version <= current else {
            throw DomainError.invalid("\(type) has schema version \(version); this code reads 1...\(current)")
        }
        var value = value
        for step in version..<current {
            guard let upcast = steps[type]?[step] else {
                throw DomainError.invalid("no upcaster for \(type) v\(step)")
            }
            value = try upcast(value)
        }
        return value
    }

    private static func renamed(_ value: JSONValue, from old: String, to new: String) throws -> JSONValue {
        guard case .object(var members) = value, let moved = members.removeValue(forKey: old) else {
            throw DomainError.invalid("expected an object with \"\(old)\"")
        }
        members[new] = moved
        return .object(members)
    }
}
