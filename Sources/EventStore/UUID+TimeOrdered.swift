import Foundation
import Synchronization

extension UUID {
    /// A time-ordered (version 7, RFC 9562) UUID: 48 bits of Unix milliseconds, then a 12-bit
    /// sequence that keeps ids made within one millisecond in order, then 62 random bits.
    ///
    /// Event ids are keys of the log's unique `event_id` index: ids made in order are inserted
    /// at the index's right edge, so a transaction of many appends dirties (and writes to the
    /// WAL) a few index pages instead of one random page per event.
    public static func timeOrdered() -> UUID {
        timeOrdered(TimeOrderedClock.shared.next())
    }

    /// A version 7 UUID of `millis` and `sequence`, and random bits.
    static func timeOrdered(_ time: (millis: UInt64, sequence: UInt16)) -> UUID {
        var bytes = RandomBytes.shared.next()
        let (millis, sequence) = time
        return withUnsafeMutableBytes(of: &bytes) { raw in
            for index in 0..<6 { raw[index] = UInt8(truncatingIfNeeded: millis >> (40 - 8 * index)) }
            raw[6] = 0x70 | UInt8(sequence >> 8)      // version 7, sequence high bits
            raw[7] = UInt8(truncatingIfNeeded: sequence)
            raw[8] = (raw[8] & 0x3F) | 0x80           // RFC 4122 variant
            return UUID(uuid: raw.load(as: uuid_t.self))
        }
    }
}

/// The millisecond and sequence of the next time-ordered UUID: never goes back, even when the
/// wall clock does (the last millisecond is kept, and its sequence counts on into the next).
final class TimeOrderedClock: Sendable {
    static let shared = TimeOrderedClock()

    private let state = Mutex<(millis: UInt64, sequence: UInt16)>((0, 0))

    /// The next millisecond and sequence, by the wall clock.
    func next() -> (millis: UInt64, sequence: UInt16) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return next(at: UInt64(now.tv_sec) * 1_000 + UInt64(now.tv_nsec) / 1_000_000)
    }

    /// The next millisecond and sequence when the clock reads `millis`: later than the last one
    /// handed out, however the clock moved.
    func next(at millis: UInt64) -> (millis: UInt64, sequence: UInt16) {
        state.withLock { state in
            if millis > state.millis {
                state = (millis, 0)
            } else if state.sequence < 0x0FFF {
                state.sequence += 1
            } else {
                state = (state.millis + 1, 0)
            }
            return state
        }
    }
}
