import Domain
import Foundation
import GRDB

/// How to list a collection's rows: within a scope or all, by `sort` ascending or descending,
/// a page at a time.
public struct RowQuery: Sendable {
    public enum Order: Sendable { case ascending, descending }

    public var scope: String?
    public var order: Order
    public var limit: Int
    /// Only rows whose sort is past this one (below it when descending, above when ascending).
    public var after: Int64?

    public init(scope: String? = nil, order: Order = .descending, limit: Int = 50, after: Int64? = nil) {
        self.scope = scope
        self.order = order
        self.limit = limit
        self.after = after
    }
}

extension Projector {
    /// The row at `key` of a collection, from the generation that serves now.
    public func row(_ db: Database, _ projection: String, _ collection: String, key: String) throws -> Row? {
        guard let table = try ProjectionCatalog.activeTable(db, projection, collection) else { return nil }
        guard let body = try String.fetchOne(db.cachedStatement(sql: "SELECT body FROM \"\(table)\" WHERE key = ?"), arguments: [key]) else {
            return nil
        }
        return try Self.object(body)
    }

    /// A page of a collection's rows (`query.limit`, at most 1,000).
    public func rows(_ db: Database, _ projection: String, _ collection: String, _ query: RowQuery) throws -> [Row] {
        try sortedRows(db, projection, collection, query).map(\.row)
    }

    /// A page of a collection's rows with each row's sort (a reader's cursor for the next page).
    public func sortedRows(_ db: Database, _ projection: String, _ collection: String, _ query: RowQuery) throws -> [(sort: Int64, row: Row)] {
        guard let table = try ProjectionCatalog.activeTable(db, projection, collection) else { return [] }
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let scope = query.scope {
            conditions.append("scope = ?")
            arguments += [scope]
        }
        if let after = query.after {
            conditions.append(query.order == .descending ? "sort < ?" : "sort > ?")
            arguments += [after]
        }
        let direction = query.order == .descending ? "DESC" : "ASC"
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [max(0, min(query.limit, 1_000))]
        let found = try GRDB.Row.fetchAll(db.cachedStatement(sql: """
            SELECT sort, body FROM "\(table)" \(filter) ORDER BY sort \(direction), key \(direction) LIMIT ?
            """), arguments: arguments)
        return try found.map { (sort: $0["sort"] ?? 0, row: try Self.object($0["body"])) }
    }

    private static func object(_ body: String) throws -> Row {
        guard case .object(let members) = try JSONParser.parse(Data(body.utf8)) else {
            throw DatabaseError(message: "a projection row is not a JSON object")
        }
        return Row(members)
    }
}

extension Projector {
    /// What changed after `position`, for a reader catching up: every row whose last change is
    /// later (as it is now) and every row deleted later, in position order.
    ///
    /// A row changed several times since shows once, at its latest state and position — a
    /// reader that applies these converges on the current views.
    public func changes(_ db: Database, after position: Int64) throws -> [ProjectionChange] {
        var changes: [ProjectionChange] = []
        for projection in projections {
            for collection in projection.collections {
                guard let table = try ProjectionCatalog.activeTable(db, projection.name, collection) else { continue }
                let rows = try GRDB.Row.fetchAll(db.cachedStatement(sql: "SELECT key, position, body FROM \"\(table)\" WHERE position > ?"),
                                                 arguments: [position])
                for row in rows {
                    changes.append(ProjectionChange(
                        projection: projection.name, collection: collection, key: row["key"], op: .upsert,
                        row: try Self.object(row["body"]), position: row["position"]))
                }
            }
        }
        if try db.tableExists("projection_tombstones") {
            let names = Set(projections.map(\.name))
            for row in try GRDB.Row.fetchAll(db.cachedStatement(sql: "SELECT projection, collection, key, position FROM projection_tombstones WHERE position > ?"),
                                              arguments: [position]) where names.contains(row["projection"]) {
                changes.append(ProjectionChange(projection: row["projection"], collection: row["collection"], key: row["key"], op: .delete,
                                                row: nil, position: row["position"]))
            }
        }
        return changes.sorted { ($0.position, $0.projection, $0.collection, $0.key) < ($1.position, $1.projection, $1.collection, $1.key) }
    }
}
