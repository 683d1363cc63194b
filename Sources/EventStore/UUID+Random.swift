import Foundation
import Synchronization

extension UUID {
    /// A random (version 4) UUID from the system's CSPRNG, without the open/read/close of
    /// `/dev/urandom` that `UUID()` costs on Linux, and without a system call per id: event ids
    /// and request ids are made on every command (see ``RandomBytes``).
    public static func random() -> UUID {
        var bytes = RandomBytes.shared.next()
        return withUnsafeMutableBytes(of: &bytes) { raw in
            raw[6] = (raw[6] & 0x0F) | 0x40   // version 4
            raw[8] = (raw[8] & 0x3F) | 0x80   // RFC 4122 variant
            return UUID(uuid: raw.load(as: uuid_t.self))
        }
    }
}

/// Bytes from the system's CSPRNG, read 4 KB at a time from `/dev/urandom` (kept open) and
/// handed out 16 at a time, each only once.
final class RandomBytes: Sendable {
    static let shared = RandomBytes()

    private static let size = 4_096
    private let state = Mutex<(buffer: [UInt8], used: Int, source: Int32)>(([UInt8](repeating: 0, count: size), size, -1))

    /// The next 16 bytes.
    func next() -> (UInt64, UInt64) {
        state.withLock { state in
            if state.used == Self.size {
                Self.fill(&state.buffer, from: &state.source)
                state.used = 0
            }
            defer { state.used += 16 }
            return state.buffer.withUnsafeBytes { raw in
                (raw.loadUnaligned(fromByteOffset: state.used, as: UInt64.self), raw.loadUnaligned(fromByteOffset: state.used + 8, as: UInt64.self))
            }
        }
    }

    private static func fill(_ buffer: inout [UInt8], from source: inout Int32) {
        if source < 0 { source = open("/dev/urandom", O_RDONLY | O_CLOEXEC) }
        buffer.withUnsafeMutableBytes { raw in
            var filled = 0
            while source >= 0, filled < raw.count {
                let got = read(source, raw.baseAddress! + filled, raw.count - filled)
                if got > 0 { filled += got } else if got == 0 || errno != EINTR { break }
            }
            guard filled < raw.count else { return }
            // No /dev/urandom to read: the generator the standard library uses, 8 bytes a call.
            var generator = SystemRandomNumberGenerator()
            for offset in stride(from: 0, to: raw.count, by: 8) { raw.storeBytes(of: generator.next() as UInt64, toByteOffset: offset, as: UInt64.self) }
        }
    }
}
