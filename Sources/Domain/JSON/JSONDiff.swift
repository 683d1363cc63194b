/// The differences between two JSON values as readable lines, one per differing leaf:
///
/// ```text
/// threads.t1.title: expected "Hello", got "Hi"
/// threads.t9: unexpected {"title":"New"}
/// threads.t2: missing (expected {"title":"Old"})
/// ```
public enum JSONDiff {
    /// At most `limit` lines; an empty array when the values are equal.
    public static func lines(expected: JSONValue, actual: JSONValue, limit: Int = 20) -> [String] {
        var lines: [String] = []
        compare(expected, actual, path: "", into: &lines, limit: limit)
        return lines
    }

    private static func compare(_ expected: JSONValue, _ actual: JSONValue, path: String, into lines: inout [String], limit: Int) {
        guard lines.count < limit, expected != actual else { return }
        switch (expected, actual) {
        case (.object(let old), .object(let new)):
            for key in Set(old.keys).union(new.keys).sorted() {
                let child = path.isEmpty ? key : "\(path).\(key)"
                switch (old[key], new[key]) {
                case (let old?, let new?): compare(old, new, path: child, into: &lines, limit: limit)
                case (let old?, nil): add("\(child): missing (expected \(short(old)))", to: &lines, limit: limit)
                case (nil, let new?): add("\(child): unexpected \(short(new))", to: &lines, limit: limit)
                case (nil, nil): break
                }
            }
        case (.array(let old), .array(let new)) where old.count == new.count:
            for (index, pair) in zip(old, new).enumerated() {
                compare(pair.0, pair.1, path: "\(path)[\(index)]", into: &lines, limit: limit)
            }
        default:
            add("\(path.isEmpty ? "(root)" : path): expected \(short(expected)), got \(short(actual))", to: &lines, limit: limit)
        }
    }

    private static func add(_ line: String, to lines: inout [String], limit: Int) {
        if lines.count < limit { lines.append(line) }
    }

    /// A value on one line, cut at 120 characters.
    private static func short(_ value: JSONValue) -> String {
        let text = JSONWriter.string(value)
        return text.count > 120 ? String(text.prefix(117)) + "..." : text
    }
}
