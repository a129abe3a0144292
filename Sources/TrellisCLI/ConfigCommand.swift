import ArgumentParser
import HomeserverRuntime

/// `trellis config check FILE`: validates a configuration file and the environment overrides.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Configuration tools.",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a configuration file (with TRELLIS__* environment overrides applied); lists every problem."
        )

        @Argument(help: "The YAML configuration file.")
        var file: String

        func run() throws {
            do {
                let config = try ConfigLoader.load(path: file)
                _ = try SigningKeyLoader.load(path: config.signingKeyPath)
                print("\(file): ok (server_name \(config.serverName), worker \(config.worker.name))")
            } catch let error as ConfigError {
                print("\(file): \(error)")
                throw ExitCode(2)
            }
        }
    }
}
