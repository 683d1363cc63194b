import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure ClawCloud next to a raw SQLite baseline run in the same process.",
        discussion: "Build with `swift build -c release` first: debug builds are several times slower.",
        subcommands: [BenchStoreCommand.self, BenchReplayCommand.self, BenchHTTPCommand.self]
    )
}
