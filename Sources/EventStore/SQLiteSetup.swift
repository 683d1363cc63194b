import CSQLiteSetup
import GRDBSQLite

/// Process-wide SQLite settings, applied before the process opens its first connection.
///
/// SQLite keeps memory statistics by default (`SQLITE_CONFIG_MEMSTATUS`): every allocation and
/// free, on every connection, takes one global mutex. A hundred tenants' writers on two cores
/// contend for it — in `bench http` it caused most of the process's `futex` calls. The stores
/// never read those statistics (nor set a soft heap limit, which needs them), so they are off.
enum SQLiteSetup {
    /// Whether the settings took: false when SQLite was initialized before (a connection opened
    /// elsewhere first), in which case SQLite keeps its defaults. Reading it applies them once.
    static let applied: Bool = clawcloud_sqlite_disable_memory_statistics() == SQLITE_OK
}
