import Domain

/// Shorthands for building rows from optional Swift values (nil becomes JSON null).
func json(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
func json(_ value: Int64?) -> JSONValue { value.map(JSONValue.integer) ?? .null }
func json(_ value: [String]) -> JSONValue { .array(value.map(JSONValue.string)) }

/// Keys that sort in number order as text (rows are dumped and paged by key).
func paddedKey(_ number: Int64) -> String {
    let digits = String(number)
    return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
}

/// `YYYY-MM-DD` (UTC) of a timestamp in ms.
func utcDay(_ millis: Millis) -> String {
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm), in integers.
    let days = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return "\(year)-\(two(month))-\(two(day))"
}
