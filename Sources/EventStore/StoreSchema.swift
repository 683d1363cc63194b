import GRDB

/// The schema of a store file, as GRDB migrations. Projections add their own tables to the same file.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-event-log") { db in
            try db.execute(sql: """
                CREATE TABLE store_info (
                    key   TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                ) STRICT;

                -- The append-only log. `data` and `metadata` are single-line JSON kept as BLOBs
                -- (read them with CAST(data AS TEXT)); `hash` is 32 bytes of the SHA-256 chain.
                CREATE TABLE events (
                    position       INTEGER PRIMARY KEY NOT NULL,
                    stream         TEXT    NOT NULL,
                    stream_version INTEGER NOT NULL,
                    event_id       TEXT    NOT NULL UNIQUE,
                    type           TEXT    NOT NULL,
                    schema_version INTEGER NOT NULL,
                    data           BLOB    NOT NULL,
                    metadata       BLOB    NOT NULL,
                    recorded_at    INTEGER NOT NULL,
                    hash           BLOB    NOT NULL,
                    UNIQUE (stream, stream_version)
                ) STRICT;

                CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
                BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed'); END;

                CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
                BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE is not allowed'); END;
                """)
        }
        return migrator
    }

    /// Names of the triggers that make the log append-only; `verify` reports any that is missing.
    static let appendOnlyTriggers = ["events_are_append_only_update", "events_are_append_only_delete"]

    /// Records `identity` in a new file, or checks that an existing file belongs to it.
    ///
    /// - Returns: true when the identity was recorded just now (the file is new).
    static func claim(_ db: Database, for identity: StoreIdentity) throws -> Bool {
        let found = try String.fetchOne(db, sql: "SELECT value FROM store_info WHERE key = 'identity'")
        guard let found else {
            try db.execute(sql: "INSERT INTO store_info (key, value) VALUES ('identity', ?)", arguments: [identity.recorded])
            return true
        }
        guard found == identity.recorded else {
            throw EventStoreError.identityMismatch(expected: identity.recorded, found: found)
        }
        return false
    }

    /// The identity a file records.
    static func recordedIdentity(_ db: Database) throws -> StoreIdentity {
        guard try db.tableExists("store_info"),
              let found = try String.fetchOne(db, sql: "SELECT value FROM store_info WHERE key = 'identity'")
        else { throw EventStoreError.corruptStore("the file records no store identity") }
        return try StoreIdentity(recorded: found)
    }
}
