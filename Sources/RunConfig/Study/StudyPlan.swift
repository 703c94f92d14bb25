import Base
import Foundation
import Tasks

/// A study: a TOML file listing runs (entries, each a preset with overrides, run for several
/// seeds), and the plan that turns it into `bgpo train` runs with fixed output directories.
///
/// ```toml
/// output_dir = "studies/countdown-table1"   # the study directory (default: studies/<file name>)
/// seeds = [0, 1, 2, 3, 4]                   # the default seeds of every entry
/// overrides = ["model.path=runs/countdown-base"]   # applied to every run, before the entry's
///
/// [[run]]
/// name = "bgpo-nt16"                        # the run directories: STUDY_DIR/<name>/seed-<n>
/// preset = "countdown-bgpo"
/// overrides = ["objective.mc_num=16"]
/// seeds = [0, 1]                            # optional: this entry's seeds
/// ```
///
/// Run i of the plan is entry e's seed s, entries in file order, each entry's seeds in order.
/// A run's configuration is the preset, the study's overrides, the entry's, any extra overrides
/// (`--set`), then `train.seed = s`; it writes to `STUDY_DIR/<name>/seed-<s>`. Every run's
/// configuration is resolved and validated when the plan is made, so nothing starts before all
/// of them are known to be valid.
public struct StudyPlan: Sendable {
    /// One run of a study.
    public struct Run: Sendable {
        /// Its position in the plan (the array index of a job array).
        public var index: Int
        /// The entry's name.
        public var entry: String
        /// The preset.
        public var preset: String
        /// Every override, in order, ending with `train.seed=<seed>`.
        public var overrides: [String]
        /// The seed.
        public var seed: Int
        /// `STUDY_DIR/<entry>/seed-<seed>`.
        public var directory: String
        /// The resolved configuration (its `run.output_dir` is ``directory``).
        public var config: RunConfig

        /// The arguments of `bgpo train` for this run (without the program name).
        public var trainArguments: [String] {
            ["train", "--preset", preset] + overrides.flatMap { ["--set", $0] } + ["--output-dir", directory]
        }

        /// The shell command line of this run with `program` as the binary.
        public func commandLine(program: String = "bgpo") -> String {
            ([program] + trainArguments).map(StudyPlan.shellQuoted).joined(separator: " ")
        }
    }

    /// The study directory.
    public var directory: String
    /// The runs, in plan order.
    public var runs: [Run]
    /// Warnings (for standard error): base models that do not exist here, for example.
    public var warnings: [String]

    /// The keys a study sets itself, which its overrides may not set.
    static let reservedKeys = ["train.seed", "run.output_dir"]

    /// Reads and plans the study file at `path`.
    ///
    /// - Parameters:
    ///   - studyDirectory: where the runs go (default: the file's `output_dir`, else
    ///     `studies/<file name without extension>`).
    ///   - extraOverrides: `key=value` overrides applied to every run after the file's.
    /// - Throws: ``ConfigError`` (exit 64) naming the file and the key, entry, preset or override
    ///   at fault, ``StudyError`` (64) for a run whose configuration is invalid; an unknown task is
    ///   ``Tasks/TaskError/unknownTask(_:)`` (64).
    public static func read(file path: String, studyDirectory: String? = nil, extraOverrides: [String] = []) throws -> StudyPlan {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError.unreadableFile(path: path, reason: (error as NSError).localizedDescription)
        }
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try plan(toml: text, source: path, defaultDirectory: "studies/\(name)",
                        studyDirectory: studyDirectory, extraOverrides: extraOverrides)
    }

    /// Plans a study from its TOML text (see ``read(file:studyDirectory:extraOverrides:)``).
    public static func plan(toml text: String, source: String, defaultDirectory: String, studyDirectory: String? = nil,
                            extraOverrides: [String] = []) throws -> StudyPlan {
        let file = try StudyFile(table: TOMLReader.parse(text, source: source), source: source)
        let directory = studyDirectory ?? file.outputDirectory ?? defaultDirectory
        for argument in extraOverrides { try checkNotReserved(argument, source: "--set") }
        var runs: [Run] = []
        for entry in file.entries {
            for seed in entry.seeds {
                let runDirectory = (directory as NSString).appendingPathComponent("\(entry.name)/seed-\(seed)")
                let overrides = file.overrides + entry.overrides + extraOverrides + ["train.seed=\(seed)"]
                var config: RunConfig
                do {
                    config = try RunConfig.resolve(preset: entry.preset, overrides: overrides)
                } catch let error as ConfigError {
                    throw StudyError(file: source, entry: entry.name, seed: seed, error: error)
                }
                config.run.outputDir = runDirectory
                guard TaskRegistry.names.contains(config.task.name) else { throw TaskError.unknownTask(config.task.name) }
                runs.append(Run(index: runs.count, entry: entry.name, preset: entry.preset, overrides: overrides,
                                seed: seed, directory: runDirectory, config: config))
            }
        }
        let bases = Set(runs.map(\.config.model.path).filter { !$0.isEmpty })
        let warnings = bases.sorted().filter { !FileManager.default.fileExists(atPath: $0) }
            .map { "model.path \($0) does not exist here (yet); the runs that use it will stop at start until it does" }
        return StudyPlan(directory: directory, runs: runs, warnings: warnings)
    }

    /// Throws when `argument` sets one of ``reservedKeys``.
    static func checkNotReserved(_ argument: String, source: String) throws {
        let key = argument.prefix { $0 != "=" }.trimmingCharacters(in: .whitespaces)
        guard reservedKeys.contains(key) else { return }
        throw ConfigError.invalidOverride(argument: argument,
                                          reason: "\(source): a study sets \(key) itself (from its seeds and its directory)")
    }

    /// `text` quoted for a POSIX shell when it needs quoting.
    static func shellQuoted(_ text: String) -> String {
        let plain = text.unicodeScalars.allSatisfy { scalar in
            CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || "-_./=:,+@%".unicodeScalars.contains(scalar)
        }
        return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// The contents of a study file, checked key by key.
struct StudyFile {
    /// One `[[run]]` entry.
    struct Entry {
        var name: String
        var preset: String
        var overrides: [String]
        var seeds: [Int]
    }

    var outputDirectory: String?
    var overrides: [String]
    var entries: [Entry]

    private static let topKeys = ["output_dir", "seeds", "overrides", "run"]
    private static let entryKeys = ["name", "preset", "overrides", "seeds"]

    /// Reads the parsed `table` of the study file `source`.
    init(table: ConfigTable, source: String) throws {
        for key in table.keys where !StudyFile.topKeys.contains(key) {
            throw ConfigError.unknownKey(source: source, key: key, suggestions: [], validKeys: StudyFile.topKeys)
        }
        outputDirectory = try table["output_dir"].map { try StudyFile.string($0, key: "output_dir", source: source) }
        overrides = try table["overrides"].map { try StudyFile.strings($0, key: "overrides", source: source) } ?? []
        for argument in overrides { try StudyPlan.checkNotReserved(argument, source: source) }
        let defaultSeeds = try table["seeds"].map { try StudyFile.seeds($0, key: "seeds", source: source) }
        guard case .array(let items)? = table["run"], !items.isEmpty else {
            throw ConfigError.typeMismatch(source: source, key: "run", expected: "one or more [[run]] tables",
                                           found: table["run"]?.summary ?? "nothing")
        }
        var names: Set<String> = []
        entries = try items.enumerated().map { position, item in
            let at = "run[\(position)]"
            guard case .table(let entry) = item else {
                throw ConfigError.typeMismatch(source: source, key: at, expected: "a [[run]] table", found: item.summary)
            }
            for key in entry.keys where !StudyFile.entryKeys.contains(key) {
                throw ConfigError.unknownKey(source: source, key: "\(at).\(key)", suggestions: [], validKeys: StudyFile.entryKeys)
            }
            guard let nameValue = entry["name"] else {
                throw ConfigError.typeMismatch(source: source, key: "\(at).name", expected: "a string", found: "nothing")
            }
            let name = try StudyFile.string(nameValue, key: "\(at).name", source: source)
            let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
            guard !name.isEmpty, !name.hasPrefix("."), name.unicodeScalars.allSatisfy(allowed.contains) else {
                throw ConfigError.invalidValue(key: "\(at).name", value: "\"\(name)\"",
                                               expected: "a directory name of letters, digits, '.', '_' and '-'")
            }
            guard names.insert(name).inserted else {
                throw ConfigError.invalidValue(key: "\(at).name", value: "\"\(name)\"", expected: "a name no other entry has")
            }
            guard let presetValue = entry["preset"] else {
                throw ConfigError.typeMismatch(source: source, key: "\(at).preset", expected: "a preset name", found: "nothing")
            }
            let preset = try StudyFile.string(presetValue, key: "\(at).preset", source: source)
            _ = try ConfigPreset.named(preset)
            let entryOverrides = try entry["overrides"].map { try StudyFile.strings($0, key: "\(at).overrides", source: source) } ?? []
            for argument in entryOverrides { try StudyPlan.checkNotReserved(argument, source: "\(source) \(at)") }
            guard let seeds = try entry["seeds"].map({ try StudyFile.seeds($0, key: "\(at).seeds", source: source) }) ?? defaultSeeds else {
                throw ConfigError.typeMismatch(source: source, key: "\(at).seeds",
                                               expected: "an array of seeds (here or at the top of the file)", found: "nothing")
            }
            return Entry(name: name, preset: preset, overrides: entryOverrides, seeds: seeds)
        }
    }

    private static func string(_ value: ConfigValue, key: String, source: String) throws -> String {
        guard case .string(let text) = value else {
            throw ConfigError.typeMismatch(source: source, key: key, expected: "a string", found: value.summary)
        }
        return text
    }

    private static func strings(_ value: ConfigValue, key: String, source: String) throws -> [String] {
        guard case .array(let items) = value else {
            throw ConfigError.typeMismatch(source: source, key: key, expected: "an array of \"key=value\" strings", found: value.summary)
        }
        return try items.map { try string($0, key: key, source: source) }
    }

    private static func seeds(_ value: ConfigValue, key: String, source: String) throws -> [Int] {
        guard case .array(let items) = value, !items.isEmpty else {
            throw ConfigError.typeMismatch(source: source, key: key, expected: "a non-empty array of integers >= 0", found: value.summary)
        }
        let seeds = try items.map { item -> Int in
            guard case .integer(let seed) = item, seed >= 0 else {
                throw ConfigError.typeMismatch(source: source, key: key, expected: "integers >= 0", found: item.summary)
            }
            return seed
        }
        guard Set(seeds).count == seeds.count else {
            throw ConfigError.invalidValue(key: key, value: value.tomlLiteral, expected: "distinct seeds")
        }
        return seeds
    }
}

/// A run of a study whose configuration cannot be resolved (exit 64).
public struct StudyError: Error, Equatable, ExitCodeProviding, CustomStringConvertible {
    /// The study file.
    public var file: String
    /// The entry's name.
    public var entry: String
    /// The seed.
    public var seed: Int
    /// What is wrong with the configuration (it names the key).
    public var error: ConfigError

    /// 64: the study file must change.
    public var exitCode: Int32 { ExitStatus.usage }

    /// `FILE: run 'NAME' (seed N): the configuration error`.
    public var description: String {
        "\(file): run '\(entry)' (seed \(seed)): \(error)"
    }
}
