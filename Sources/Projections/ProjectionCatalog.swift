import GRDB

/// Which version of each projection a store file holds, and in which tables.
///
/// A projection's tables are named `proj_<name>_<collection>_g<generation>`; a rebuild fills a
/// new generation while the current one keeps answering, then swaps the catalog row and drops
/// the old tables in one transaction.
public enum ProjectionCatalog {
    public struct Entry: Sendable, Equatable {
        public var version: Int
        public var generation: Int
    }

    static func createCatalog(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS projection_versions (
                name       TEXT PRIMARY KEY NOT NULL,
                version    INTEGER NOT NULL,
                generation INTEGER NOT NULL
            ) STRICT;
            CREATE TABLE IF NOT EXISTS projection_tombstones (
                projection TEXT NOT NULL,
                collection TEXT NOT NULL,
                key        TEXT NOT NULL,
                position   INTEGER NOT NULL,
                PRIMARY KEY (projection, collection, key)
            ) STRICT;
            CREATE INDEX IF NOT EXISTS projection_tombstones_position ON projection_tombstones (position);
            """)
    }

    /// The active entry of `name`, or nil when the projection was never built in this file.
    public static func entry(_ db: Database, _ name: String) throws -> Entry? {
        guard try db.tableExists("projection_versions") else { return nil }
        let row = try GRDB.Row.fetchOne(
            db.cachedStatement(sql: "SELECT version, generation FROM projection_versions WHERE name = ?"), arguments: [name])
        return row.map { Entry(version: $0["version"], generation: $0["generation"]) }
    }

    /// Every projection's active entry, in one query (what an append needs to know).
    public static func entries(_ db: Database) throws -> [String: Entry] {
        guard try db.tableExists("projection_versions") else { return [:] }
        var entries: [String: Entry] = [:]
        for row in try GRDB.Row.fetchAll(db.cachedStatement(sql: "SELECT name, version, generation FROM projection_versions")) {
            entries[row["name"]] = Entry(version: row["version"], generation: row["generation"])
        }
        return entries
    }

    static func setEntry(_ db: Database, _ name: String, _ entry: Entry) throws {
        try createCatalog(db)
        try db.execute(
            sql: "INSERT INTO projection_versions (name, version, generation) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version, generation = excluded.generation",
            arguments: [name, entry.version, entry.generation])
    }

    public static func table(_ name: String, _ collection: String, generation: Int) -> String {
        "proj_\(name)_\(collection)_g\(generation)"
    }

    /// The table serving `collection` of `name` now (nil if the projection was never built).
    public static func activeTable(_ db: Database, _ name: String, _ collection: String) throws -> String? {
        try entry(db, name).map { table(name, collection, generation: $0.generation) }
    }

    /// Creates the tables of `projection`'s `generation`, clustered by key (`WITHOUT ROWID`: a
    /// row and its key are one b-tree entry). With `indexes: false` the secondary indexes are
    /// left for ``createIndexes(_:_:generation:)``: a rebuild bulk-loads first and indexes after,
    /// which sorts each index once instead of inserting into it row by row.
    static func createTables(_ db: Database, _ projection: any Projection, generation: Int, indexes: Bool = true) throws {
        for collection in projection.collections {
            try db.execute(sql: """
                CREATE TABLE "\(table(projection.name, collection, generation: generation))" (
                    key      TEXT PRIMARY KEY NOT NULL,
                    scope    TEXT NOT NULL,
                    sort     INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    body     TEXT NOT NULL
                ) STRICT, WITHOUT ROWID
                """)
        }
        if indexes { try createIndexes(db, projection, generation: generation) }
    }

    /// The indexes queries use: by scope and sort (pages of a view), and by position (what
    /// changed after a position, for resuming streams).
    static func createIndexes(_ db: Database, _ projection: any Projection, generation: Int) throws {
        for collection in projection.collections {
            let table = table(projection.name, collection, generation: generation)
            try db.execute(sql: """
                CREATE INDEX "\(table)_scope_sort" ON "\(table)" (scope, sort);
                CREATE INDEX "\(table)_position" ON "\(table)" (position);
                """)
        }
    }

    /// Drops every table of `projection` but those of generation `kept` (0: all of them): a
    /// generation a rebuild retired, or one a crash left half built.
    static func dropTables(_ db: Database, _ projection: any Projection, except kept: Int) throws {
        let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'proj\\_%' ESCAPE '\\'")
        for collection in projection.collections {
            let prefix = "proj_\(projection.name)_\(collection)_g"
            for name in names where name.hasPrefix(prefix) {
                let generation = name.dropFirst(prefix.count)
                guard !generation.isEmpty, generation.allSatisfy(\.isASCII), generation.allSatisfy(\.isNumber), Int(generation) != kept else { continue }
                try db.execute(sql: "DROP TABLE \"\(name)\"")
            }
        }
    }

}
