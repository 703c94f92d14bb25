import Base
import Foundation
import RunConfig

/// A run directory read for a seed study: its configuration (`config.toml`) and records
/// (`metrics.jsonl`).
public struct SeedRun: Sendable {
    /// The name used in tables and legends (the directory's last component).
    public var name: String
    /// The run directory.
    public var directory: URL
    /// The run's resolved configuration.
    public var config: RunConfig
    /// The run's metrics, in file order.
    public var records: [MetricsRecord]

    /// The run's `train.seed`.
    public var seed: Int { config.train.seed }

    /// A run from its parts.
    public init(name: String, directory: URL, config: RunConfig, records: [MetricsRecord]) {
        self.name = name
        self.directory = directory
        self.config = config
        self.records = records
    }

    /// Reads `RUN_DIR/config.toml` and `RUN_DIR/metrics.jsonl`.
    public init(directory: URL) throws {
        let directory = directory.standardizedFileURL
        let configFile = directory.appendingPathComponent("config.toml")
        guard FileManager.default.fileExists(atPath: configFile.path) else {
            throw RecordError.io(path: configFile.path, reason: "missing: grouping runs by seed needs each run's config.toml")
        }
        self.init(name: directory.lastPathComponent, directory: directory,
                  config: try RunConfig().applying(file: configFile.path),
                  records: try MetricsLog.read(directory.appendingPathComponent("metrics.jsonl")))
    }

    /// The value of `metric` in the record of `step`, when the run has that record and value.
    public func value(of metric: String, at step: Int) -> Double? {
        records.last { $0.step == step }?[metric].flatMap { $0.isFinite ? $0 : nil }
    }
}

/// Runs of one configuration that differ only by seed.
public struct RunGroup: Sendable {
    /// The keys that may differ between the runs of a group: the seed, and where and how the runs
    /// were executed (the `run` and `checkpoint` sections, the logging cadence).
    public static let ignoredKeys: Set<String> = ["train.seed", "run", "checkpoint", "train.logging_steps"]

    /// The group's name.
    public var name: String
    /// The runs, one per seed, in the order given.
    public var runs: [SeedRun]

    /// A group of `runs`, refused unless their configurations differ only in ``ignoredKeys`` and
    /// their seeds differ.
    public init(name: String, runs: [SeedRun]) throws {
        precondition(!runs.isEmpty, "RunGroup: no runs")
        for run in runs.dropFirst() {
            let differing = RunGroup.differences(runs[0], run)
            guard differing.isEmpty else {
                throw GroupingError.configurationsDiffer(group: name, first: runs[0].directory.path,
                                                         other: run.directory.path, changes: differing)
            }
        }
        var seen: [Int: String] = [:]
        for run in runs {
            if let earlier = seen[run.seed] {
                throw GroupingError.duplicateSeed(group: name, seed: run.seed, first: earlier, other: run.directory.path)
            }
            seen[run.seed] = run.directory.path
        }
        self.name = name
        self.runs = runs
    }

    /// The keys other than ``ignoredKeys`` whose values differ between the runs `a` and `b`.
    static func differences(_ a: SeedRun, _ b: SeedRun) -> [ConfigChange] {
        differences(a.config, b.config)
    }

    /// The keys other than ``ignoredKeys`` whose values differ between `a` and `b` (`old` is `a`'s).
    static func differences(_ a: RunConfig, _ b: RunConfig) -> [ConfigChange] {
        b.changes(from: a).filter { change in
            let section = String(change.key.prefix { $0 != "." })
            return !ignoredKeys.contains(change.key) && !ignoredKeys.contains(section)
        }
    }

    /// `runs` grouped by configuration without the seed, groups in the order of their first run.
    ///
    /// A group is named after its runs' common parent directory (a study's entry, for
    /// `STUDY_DIR/<entry>/seed-<n>`), or after its first run when the parents differ; names are
    /// made unique with a suffix.
    public static func byConfiguration(_ runs: [SeedRun]) throws -> [RunGroup] {
        var members: [[SeedRun]] = []
        for run in runs {
            if let index = members.firstIndex(where: { differences($0[0], run).isEmpty }) {
                members[index].append(run)
            } else {
                members.append([run])
            }
        }
        var used: Set<String> = []
        return try members.map { runs in
            var name = defaultName(of: runs.map(\.directory))
            if used.contains(name) {
                name = (2...).lazy.map { "\(name)-\($0)" }.first { !used.contains($0) }!
            }
            used.insert(name)
            return try RunGroup(name: name, runs: runs)
        }
    }

    /// The common parent directory's name of `directories`, or the first one's name.
    public static func defaultName(of directories: [URL]) -> String {
        let parents = Set(directories.map { $0.standardizedFileURL.deletingLastPathComponent().path })
        if parents.count == 1, let parent = directories.first?.standardizedFileURL.deletingLastPathComponent() {
            return parent.lastPathComponent
        }
        return directories.first?.standardizedFileURL.lastPathComponent ?? "group"
    }

    /// The runs' `train.max_steps` (the same for every run of a group).
    public var finalStep: Int { runs[0].config.train.maxSteps }

    /// The value of `metric` at `step` of each run that has it, by seed.
    public func values(of metric: String, at step: Int) -> [Int: Double] {
        var values: [Int: Double] = [:]
        for run in runs {
            if let value = run.value(of: metric, at: step) { values[run.seed] = value }
        }
        return values
    }

    /// The runs lacking `metric` at `step` (incomplete runs, or a step without an evaluation).
    public func missing(_ metric: String, at step: Int) -> [SeedRun] {
        runs.filter { $0.value(of: metric, at: step) == nil }
    }

    /// The summary over seeds of `metric` at `step`, nil when no run has it.
    public func summary(of metric: String, at step: Int, level: Double) -> SeedSummary? {
        let values = values(of: metric, at: step)
        guard !values.isEmpty else { return nil }
        return SeedSummary(values: values.keys.sorted().map { values[$0]! }, level: level)
    }

    /// Every step at which some run has `metric`, ascending.
    public func steps(of metric: String) -> [Int] {
        Set(runs.flatMap { run in run.records.filter { $0[metric]?.isFinite == true }.map(\.step) }).sorted()
    }
}

/// Runs that cannot be pooled into a group (exit 64).
public enum GroupingError: Error, Equatable, ExitCodeProviding, CustomStringConvertible {
    /// Two runs of a group whose configurations differ in more than the seed.
    case configurationsDiffer(group: String, first: String, other: String, changes: [ConfigChange])
    /// Two runs of a group with the same seed.
    case duplicateSeed(group: String, seed: Int, first: String, other: String)
    /// A comparison or baseline naming a group that does not exist.
    case unknownGroup(name: String, available: [String])
    /// A study's run whose configuration is not the one the study file gives its entry.
    case differsFromStudy(run: String, entry: String, changes: [ConfigChange])

    /// 64: the command line must change.
    public var exitCode: Int32 { ExitStatus.usage }

    /// Names the group, the runs and the differing keys.
    public var description: String {
        switch self {
        case let .configurationsDiffer(group, first, other, changes):
            let keys = changes.map { "  \($0.key): \($0.old) (\(first)) vs \($0.new) (\(other))" }
            return "group '\(group)': the runs differ in more than train.seed, so they cannot be pooled; keys that differ:\n"
                + keys.joined(separator: "\n")
        case let .duplicateSeed(group, seed, first, other):
            return "group '\(group)': \(first) and \(other) both have train.seed = \(seed); each seed may appear once"
        case let .unknownGroup(name, available):
            return "no group named '\(name)'; groups: \(available.joined(separator: ", "))"
        case let .differsFromStudy(run, entry, changes):
            let keys = changes.map { "  \($0.key): \($0.new) in the run vs \($0.old) in the study" }
            return "\(run): not the configuration the study gives entry '\(entry)' (made from another version of "
                + "the study file?); keys that differ:\n" + keys.joined(separator: "\n")
        }
    }
}
