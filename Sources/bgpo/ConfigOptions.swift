import ArgumentParser
import RL

/// The options that choose a run configuration, shared by every command that needs one.
///
/// Later sources override earlier ones: defaults, then `--preset`, then `--config`, then each
/// `--set` in order.
struct ConfigOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A configuration compiled into bgpo (see `bgpo config list`).", valueName: "name"))
    var preset: String?

    @Option(name: .customLong("config"), help: ArgumentHelp("A configuration file (.toml or .json).", valueName: "file"))
    var configFile: String?

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override one key, e.g. --set rollout.temperature=0.7 or --set objective.objective=vrpo-ol (repeatable).",
        valueName: "key=value"))
    var overrides: [String] = []

    /// The validated configuration these options describe.
    func resolve() throws -> RunConfig {
        try RunConfig.resolve(preset: preset, configFile: configFile, overrides: overrides)
    }
}
