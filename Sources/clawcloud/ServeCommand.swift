import ArgumentParser
import Foundation
import Gateway
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP API.",
        discussion: """
            Settings come from the environment: CLAWCLOUD_INTERNAL_KEY (required), CLAWCLOUD_ADMIN_USER_IDS, \
            CLAWCLOUD_RUNTIME_URL, CLAWCLOUD_SERVICE_TOKEN, CLAWCLOUD_ENCRYPTION_KEY (32 bytes, hex or base64). \
            SIGINT or SIGTERM stops it gracefully. Logs are structured lines on standard error.
            """
    )

    @OptionGroup var options: DataOptions

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port = 8080

    func run() async throws {
        let configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration(environment: ProcessInfo.processInfo.environment)
        } catch {
            printError("clawcloud serve: \(error)")
            throw ExitCode(2)
        }
        let logger = bootstrapLogging()
        try await Server.run(configuration: configuration, directory: options.directory, host: host, port: port, logger: logger) { port in
            logger.info("listening", metadata: ["address": "http://\(host):\(port)"])
        }
    }
}

/// Structured log lines (`key=value` metadata) on standard error; `LOG_LEVEL` sets the level.
func bootstrapLogging() -> Logger {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
    var logger = Logger(label: "clawcloud")
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return logger
}
