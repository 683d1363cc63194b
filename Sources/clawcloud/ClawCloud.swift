import ArgumentParser

/// The `clawcloud` command: operate a ClawCloud data directory.
@main
struct ClawCloud: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clawcloud",
        abstract: "The ClawCloud control plane for hosted OpenClaw: the HTTP API and its per-tenant event stores.",
        discussion: """
            A data directory holds one SQLite event store per tenant (data/tenants/<hash>.sqlite) and a \
            platform store (data/platform.sqlite). `serve` and `dev` run the HTTP API over it; the other \
            commands check, copy, rebuild, replay and measure it.
            """,
        subcommands: [
            VerifyCommand.self, ExportCommand.self, ImportCommand.self, BackupCommand.self, RebuildCommand.self,
            ReplayCommand.self, ServeCommand.self, DevCommand.self,
            BenchCommand.self,
        ]
    )
}
