import ArgumentParser
import Foundation
import Projections

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay tenant histories and compare every projection with its expectations.",
        discussion: """
            DIR is one fixture (a directory holding events.jsonl, optionally platform.jsonl, and expected/) \
            or a directory of fixtures (fixtures/tenants). Each history is imported into a scratch store \
            whose projections apply every event inline; each projection is then compared with \
            expected/<projection>.json. On any difference the differing rows are printed and the exit \
            status is 1. --update rewrites expected/ from the replay instead.
            Example: clawcloud replay fixtures/tenants
            """
    )

    @Argument(help: "A fixture directory, or a directory of fixtures.")
    var directory: String

    @Flag(help: "Rewrite expected/ from the replay instead of comparing.")
    var update = false

    @Flag(help: "Also rebuild every projection from the log and check it is byte-identical to the inline one.")
    var checkRebuild = false

    func run() async throws {
        let root = URL(fileURLWithPath: directory)
        let single = Fixture(root)
        let fixtures = FileManager.default.fileExists(atPath: single.events.path) ? [single] : try Fixture.all(in: root)
        guard !fixtures.isEmpty else { throw ValidationError("no fixture under \(directory) (a fixture holds events.jsonl)") }
        var failed = 0
        for fixture in fixtures {
            let progress = ProgressReporter("replay \(fixture.name)")
            let replay = try await fixture.replay(checkRebuild: checkRebuild) { progress.update($0) }
            progress.finish()
            if update {
                try fixture.writeExpected(replay)
                print("\(fixture.name): \(replay.events) events, wrote \(replay.projections.count) expectations")
                continue
            }
            let differences = try fixture.differences(replay)
            for name in replay.rebuildMismatches {
                printError("\(fixture.name): rebuilding \(name) gave other rows than the inline build")
            }
            if differences.isEmpty && replay.rebuildMismatches.isEmpty {
                print("\(fixture.name): \(replay.events) events, \(replay.projections.count) projections match")
                continue
            }
            failed += 1
            print("\(fixture.name): \(differences.count) of \(replay.projections.count) projections differ")
            for name in differences.keys.sorted() {
                print("  \(name):")
                for line in differences[name]! { print("    \(line)") }
            }
        }
        if failed > 0 {
            printError("\(failed) of \(fixtures.count) histories do not match")
            throw ExitCode(1)
        }
    }
}
