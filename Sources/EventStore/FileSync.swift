#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// `fdatasync(2)` on Linux; `fsync(2)` where there is none (SQLite's own default on Darwin).
func syncData(_ descriptor: Int32) -> Int32 {
    #if canImport(Glibc)
    fdatasync(descriptor)
    #else
    fsync(descriptor)
    #endif
}

/// `close(2)`, for types whose own `close()` hides the name.
func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}

/// `fsync(2)` of a directory: makes the names of files created in it durable.
func syncDirectory(_ path: String) throws {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    defer { if descriptor >= 0 { closeDescriptor(descriptor) } }
    guard descriptor >= 0, fsync(descriptor) == 0 else { throw EventStoreError.syncFailed("cannot sync \(path): errno \(errno)") }
}
