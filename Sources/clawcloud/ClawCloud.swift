import ArgumentParser

/// The `clawcloud` command: operate a ClawCloud data directory.
@main
struct ClawCloud: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clawcloud",
        abstract: "The ClawCloud control plane: per-tenant event stores for hosted OpenClaw.",
        discussion: """
            A data directory holds one SQLite event store per tenant (data/tenants/<hash>.sqlite) and a \
            platform store (data/platform.sqlite). These commands check, copy, move and measure them.
            """,
        subcommands: [
            VerifyCommand.self, ExportCommand.self, ImportCommand.self, BackupCommand.self, RebuildCommand.self,
            ReplayCommand.self, ServeCommand.self, DevCommand.self,
            BenchCommand.self,
        ]
    )
}
