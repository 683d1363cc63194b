// A child process for the durability test: appends to one tenant from several concurrent writers
// and prints `ack <position> <event id>` for every append the store acknowledged, until killed.
import EventStore
import Foundation

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: store-crash-probe DATA_DIR\n".utf8))
    exit(2)
}
let store = try EventStore.open(.tenant(TenantID("crash-probe")), in: DataDirectory(path: CommandLine.arguments[1]))
FileHandle.standardOutput.write(Data("ready\n".utf8))
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
