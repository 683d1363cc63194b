#ifndef CSQLITESETUP_H
#define CSQLITESETUP_H

/// Turns off SQLite's memory statistics (`SQLITE_CONFIG_MEMSTATUS`), which take one global mutex
/// on every allocation and free of every connection in the process. Must run before SQLite is
/// initialized (before the process opens its first connection); returns `SQLITE_OK`, or
/// `SQLITE_MISUSE` once SQLite is already initialized. `sqlite3_config` is variadic, so Swift
/// cannot call it directly.
int clawcloud_sqlite_disable_memory_statistics(void);

#endif
