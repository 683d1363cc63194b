// A child process for the durability test: appends to one tenant from several concurrent writers
// and prints `ack <position> <event id>` for every append the store acknowledged, until killed.
// Its first line, `ready <bytes>`, gives the memory SQLite counts as in use once the store is
// open: 0 when the stores turned SQLite's memory statistics off, as they do in a fresh process.
import EventStore
import Foundation
import GRDBSQLite

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: store-crash-probe DATA_DIR\n".utf8))
    exit(2)
}
let store = try EventStore.open(.tenant(TenantID("crash-probe")), in: DataDirectory(path: CommandLine.arguments[1]))
FileHandle.standardOutput.write(Data("ready \(sqlite3_memory_used())\n".utf8))
try await withThrowingTaskGroup(of: Void.self) { writers in
    for writer in 0..<4 {
        writers.addTask {
            var sequence = 0
            while true {
                sequence += 1
                let event = NewEvent(type: "probe.appended", data: Data(#"{"writer":\#(writer),"sequence":\#(sequence)}"#.utf8))
                let result = try await store.append([event], to: "probe-\(writer)")
                FileHandle.standardOutput.write(Data("ack \(result.position) \(event.id.uuidString)\n".utf8))
            }
        }
    }
    try await writers.waitForAll()
}
