import GRDB

/// Reading the log inside a transaction the caller already holds (for hooks and rebuilds that
/// must see exactly what their transaction sees).
public enum EventLog {
    /// Up to `limit` events with `after < position <= through`, in order.
    public static func read(after position: Int64, through last: Int64 = .max, limit: Int, _ db: Database) throws -> [RecordedEvent] {
        try EventRows.log(after: position, through: last, limit: limit, db)
    }

    /// The last position in the log (0 when empty).
    public static func head(_ db: Database) throws -> Int64 {
        try EventRows.head(db).position
    }
}
