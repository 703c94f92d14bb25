import ArgumentParser
import Base
import RunConfig
import Tasks

/// `bgpo config`: show, list and validate run configurations.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show, list and validate run configurations.",
        subcommands: [Show.self, List.self, Validate.self]
    )
}

extension ConfigCommand {
    /// `bgpo config show`: the resolved configuration as a file to start from.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the resolved configuration (defaults, preset, file, overrides) as TOML.")

        @OptionGroup var options: ConfigOptions

        @Flag(help: "Print canonical JSON (the form the configuration hash is taken over) instead of TOML.")
        var json = false

        func run() throws {
            let config = try options.resolve()
            if json {
                print(config.canonicalJSON)
            } else {
                print("# bgpo run configuration: edit it and run with --config FILE (`bgpo config list` shows presets).\n")
                print(config.toml, terminator: "")
            }
        }
    }

    /// `bgpo config list`: the compiled-in presets.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the presets compiled into bgpo.")

        func run() {
            let width = ConfigPreset.all.map(\.name.count).max() ?? 0
            for preset in ConfigPreset.all {
                print(preset.name + String(repeating: " ", count: width + 2 - preset.name.count) + preset.summary)
            }
        }
    }

    /// `bgpo config validate`: check a configuration without running it.
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a configuration: exit 0 and print its hash (warnings on stderr), or exit 64 naming the bad key.",
            discussion: "Besides every key's range, it checks that the task's prompts fit the model and that the tokenizer matches it.")

        @OptionGroup var options: ConfigOptions

        func run() throws {
            let config = try options.resolve()
            try config.checkFits(task: try TaskRegistry.task(named: config.task.name), tokenizer: try config.model.makeTokenizer())
            for warning in config.warnings {
                StandardStream.error.writeLog("bgpo: \(warning)\n")
            }
            print("valid configuration, hash \(config.hash)")
        }
    }
}
