import ArgumentParser
import Crypto
import EventStore
import Foundation
import Gateway
import RuntimeSimulator
import ServiceLifecycle

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run the HTTP API for local development, with a generated internal key.",
        discussion: """
            Like `serve`, with the data in ./data (or --data), a fresh internal key printed once, the \
            user id `admin` as administrator unless CLAWCLOUD_ADMIN_USER_IDS says otherwise, and a \
            simulated OpenClaw runtime on --runtime-port unless CLAWCLOUD_RUNTIME_URL names a real one.
            """
    )

    @OptionGroup var options: DataOptions

    @Option(help: "The port to listen on.")
    var port = 8080

    @Option(help: "The port of the simulated OpenClaw runtime.")
    var runtimePort = 8081

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let key = environment["CLAWCLOUD_INTERNAL_KEY"] ?? Self.randomKey()
        var settings = environment
        settings["CLAWCLOUD_INTERNAL_KEY"] = key
        if settings["CLAWCLOUD_ADMIN_USER_IDS"] == nil { settings["CLAWCLOUD_ADMIN_USER_IDS"] = "admin" }
        if settings["CLAWCLOUD_ENCRYPTION_KEY"] == nil {
            do {
                settings["CLAWCLOUD_ENCRYPTION_KEY"] = try devEncryptionKey()
            } catch {
                printError("clawcloud dev: cannot keep a dev encryption key in \(options.directory.root.path): \(error)")
                throw ExitCode(2)
            }
        }
        // The simulated runtime, unless a real one is configured.
        var alongside: [any Service] = []
        if settings["CLAWCLOUD_RUNTIME_URL"] == nil {
            let token = settings["CLAWCLOUD_SERVICE_TOKEN"] ?? Self.randomKey()
            settings["CLAWCLOUD_SERVICE_TOKEN"] = token
            settings["CLAWCLOUD_RUNTIME_URL"] = "http://127.0.0.1:\(runtimePort)"
            alongside.append(SimulatedRuntime(serviceToken: token).application(port: runtimePort))
        }
        let configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration(environment: settings)
        } catch {
            printError("clawcloud dev: \(error)")
            throw ExitCode(2)
        }
        let logger = bootstrapLogging()
        let port = port
        let tokenLine = alongside.isEmpty ? "" : "\nservice token of the simulated runtime (shown once; for /api/openclaw/runtime/events): \(settings["CLAWCLOUD_SERVICE_TOKEN"] ?? "")"
        let runtimeURL = (settings["CLAWCLOUD_RUNTIME_URL"] ?? "") + (alongside.isEmpty ? "" : " (simulated)")
        try await Server.run(configuration: configuration, directory: options.directory, host: "127.0.0.1", port: port, logger: logger,
                             alongside: alongside) { port in
            FileHandle.standardOutput.write(Data("""
                ClawCloud (dev) on http://127.0.0.1:\(port), data in \(options.directory.root.path)
                OpenClaw runtime: \(runtimeURL)
                internal key (shown once): \(key)\(tokenLine)
                try:  curl -s -H 'X-OA-Internal-Key: \(key)' -H 'X-OA-User-Id: user_1' http://127.0.0.1:\(port)/api/threads

                """.utf8))
        }
    }

    /// Dev only: the key that seals secrets, kept in the data directory (mode 0600) so that
    /// secrets stored in one `dev` session still open in the next. `serve` takes it from
    /// `CLAWCLOUD_ENCRYPTION_KEY` only: a key beside the data it protects protects nothing.
    private func devEncryptionKey() throws -> String {
        let file = options.directory.root.appendingPathComponent("dev-encryption-key")
        if let text = try? String(contentsOf: file, encoding: .utf8) { return text.trimmingCharacters(in: .whitespacesAndNewlines) }
        try FileManager.default.createDirectory(at: options.directory.root, withIntermediateDirectories: true)
        let key = Self.randomKey()
        guard FileManager.default.createFile(atPath: file.path, contents: Data(key.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return key
    }

    /// 32 random bytes as 64 hex digits (keys and tokens dev makes up).
    private static func randomKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.hexString
    }
}
