import Foundation
import RunConfig

/// The seed groups of a study's finished runs: one group per entry, in the study file's order.
public struct StudyGroups: Sendable {
    /// The groups, entries in file order, each with its finished runs in seed order; entries
    /// without a finished run are left out.
    public var groups: [RunGroup]
    /// One line per run left out: not started (no metrics yet) or unfinished (its last step).
    public var leftOut: [String]

    /// Reads the runs of `plan` from their directories.
    ///
    /// A run counts when its `metrics.jsonl` reaches the plan's `train.max_steps`; its
    /// `config.toml` must then be the plan's configuration up to ``RunGroup/ignoredKeys``, or the
    /// run is refused naming the keys (a run made from another version of the study file).
    /// - Throws: ``GroupingError`` (exit 64) for a run whose configuration differs from the plan,
    ///   ``RecordError`` for files that cannot be read or parsed.
    public init(plan: StudyPlan) throws {
        var finished: [String: [SeedRun]] = [:]
        var entries: [String] = []
        leftOut = []
        for run in plan.runs {
            if !entries.contains(run.entry) { entries.append(run.entry) }
            let directory = URL(fileURLWithPath: run.directory, isDirectory: true).standardizedFileURL
            let metrics = directory.appendingPathComponent("metrics.jsonl")
            guard FileManager.default.fileExists(atPath: metrics.path) else {
                leftOut.append("\(run.directory): not started")
                continue
            }
            let seedRun = try SeedRun(directory: directory)
            let lastStep = seedRun.records.map(\.step).max() ?? 0
            guard lastStep >= run.config.train.maxSteps else {
                leftOut.append("\(run.directory): unfinished (step \(lastStep) of \(run.config.train.maxSteps))")
                continue
            }
            let differing = RunGroup.differences(run.config, seedRun.config)
            guard differing.isEmpty else {
                throw GroupingError.differsFromStudy(run: directory.path, entry: run.entry, changes: differing)
            }
            finished[run.entry, default: []].append(seedRun)
        }
        groups = try entries.compactMap { entry in
            try finished[entry].map { try RunGroup(name: entry, runs: $0) }
        }
    }
}
