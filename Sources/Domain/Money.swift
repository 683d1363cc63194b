/// Formatting of micro-USD amounts.
public enum Money {
    /// Micro-USD per USD.
    public static let microsPerUSD: Micros = 1_000_000

    /// `$12.35`: rounded half away from zero to cents, in integer arithmetic.
    /// USD as an exact JSON number (`4999986` → `4.999986`), written from the integer, never
    /// computed in floating point.
    public static func usdNumber(_ micros: Micros) -> JSONValue { .decimal(micros, scale: 6) }

    public static func usd(_ micros: Micros) -> String {
        let cents = roundedCents(micros)
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)$\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Whole cents, rounded half away from zero.
    public static func roundedCents(_ micros: Micros) -> Int64 {
        let (quotient, remainder) = micros.quotientAndRemainder(dividingBy: 10_000)
        if remainder.magnitude >= 5_000 { return quotient + (micros < 0 ? -1 : 1) }
        return quotient
    }
}
