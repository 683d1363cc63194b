import Domain
import Projections
import Testing

@Suite("Rows")
struct RowTests {
    @Test("a row keeps its members in the order JSONWriter writes objects, through inserts, changes and removals")
    func keyOrder() {
        var row: Row = ["zeta": 1, "id": "x", "Id": 2, "idx": 3, "é": 4, "e": 5, "": 6]
        row["middle"] = "m"
        row["id"] = "y"
        row["idx"] = nil
        row["a"] = .null
        var object: [String: JSONValue] = ["zeta": 1, "id": "x", "Id": 2, "idx": 3, "é": 4, "e": 5, "": 6]
        object["middle"] = "m"
        object["id"] = "y"
        object["idx"] = nil
        object["a"] = .null
        #expect(row.json == .object(object))
        #expect(row.members.map(\.key) == ["", "Id", "a", "e", "id", "middle", "zeta", "é"])
        #expect(row == Row(object))
        #expect(row["idx"] == nil && row.int("zeta") == 1 && row.string("id") == "y")
    }
}
