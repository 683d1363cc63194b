#if canImport(Glibc)
import Glibc
#endif

/// The memory allocator this process runs on, for benchmark reports: on Linux, tcmalloc when
/// the build linked it (see Package.swift), else the C library's.
enum Allocator {
    static var name: String {
        #if canImport(Glibc)
        if let tcmalloc = dlsym(nil, "tc_malloc"), dlsym(nil, "malloc") == tcmalloc { return "tcmalloc" }
        #endif
        return "system malloc"
    }
}
