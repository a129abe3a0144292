import ArgumentParser
import Foundation
import Homeserver

/// `trellis`: the operator's command line.
@main
struct TrellisCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trellis",
        abstract: "Operate a Trellis Matrix homeserver.",
        version: TrellisVersion.current,
        subcommands: [
            MigrateCommand.self, RegisterUserCommand.self, GenerateSigningKeyCommand.self, VectorsCommand.self,
            ConfigCommand.self,
        ]
    )
}

/// The `--config` option shared by commands that read the configuration file.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path to the YAML configuration file (default: $TRELLIS_CONFIG or trellis.yaml).")
    var config: String?

    var path: String {
        config ?? ProcessInfo.processInfo.environment["TRELLIS_CONFIG"] ?? "trellis.yaml"
    }
}
