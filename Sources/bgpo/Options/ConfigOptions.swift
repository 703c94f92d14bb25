import ArgumentParser
import RunConfig

/// The options that choose a run configuration, shared by every command that needs one.
///
/// Later sources override earlier ones: defaults, then `--preset`, then `--config`, then each
/// `--set` in order.
struct ConfigOptions: ParsableArguments {
    // Arrays, so that a second --preset or --config is seen and refused rather than silently
    // replacing the first.
    @Option(name: .customLong("preset"),
            help: ArgumentHelp("A configuration compiled into bgpo (see `bgpo config list`); at most once.", valueName: "name"))
    var presets: [String] = []

    @Option(name: .customLong("config"),
            help: ArgumentHelp("A configuration file (.toml or .json); at most once.", valueName: "file"))
    var configFiles: [String] = []

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override one key, e.g. --set rollout.temperature=0.7 or --set objective.objective=vrpo-ol (repeatable).",
        valueName: "key=value"))
    var overrides: [String] = []

    /// The `--preset` given, if any.
    var preset: String? { presets.first }

    /// The `--config` file given, if any.
    var configFile: String? { configFiles.first }

    /// Refuses a repeated `--preset` or `--config` (exit 64): which one should win is not clear.
    func validate() throws {
        for (option, values) in [("--preset", presets), ("--config", configFiles)] where values.count > 1 {
            throw ValidationError("\(option) may be given once, got \(values.count): "
                                  + values.map { "'\($0)'" }.joined(separator: ", ")
                                  + (option == "--config" ? " (merge the files, or use --set for single keys)" : ""))
        }
    }

    /// The validated configuration these options describe.
    func resolve() throws -> RunConfig {
        try RunConfig.resolve(preset: preset, configFile: configFile, overrides: overrides)
    }
}
