/// A small, fast pseudo-random generator (SplitMix64) for the benchmarks' load: which tenant a
/// command goes to. `SystemRandomNumberGenerator` makes a `getrandom` system call per number,
/// and the load generator shares the machine with the server it measures.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    /// Seeded from the system's generator.
    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
