import ArgumentParser
import Base
import Foundation
import Records
import RunConfig

/// `bgpo report`: an HTML page with the curves of one or more runs, or of groups of runs that
/// differ only by seed, with confidence intervals and paired comparisons.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML page with plots of runs' metrics.jsonl, or seed groups with statistics.",
        discussion: """
            Plots reward, evaluation accuracy, loss, gradient norm, step time and peak memory (and KL and \
            completion length when present) against the step, as inline SVG: the page needs no network and \
            no script. Given run directories alone, the runs are overlaid with a legend.

            With --by-config or --group, runs that differ only by train.seed (read from each run's \
            config.toml; the run and checkpoint sections and train.logging_steps may differ too) are pooled \
            into groups: the page draws each group's mean curve with a t-interval band over seeds, and tables \
            give each group's mean ± CI, standard deviation and per-seed values of --metric at the final \
            step (train.max_steps) and at --step, and every group against the baseline (--baseline, default \
            the first group): the difference of means with its CI, paired by seed when both groups have the \
            same seeds, Welch's interval otherwise. --table prints the tables as Markdown, --json writes them \
            as JSON. --by-config groups the given runs by configuration (named after each group's parent \
            directory: a study's entry); --group [NAME=]DIR,DIR,... gives one group (repeatable), refused \
            when its runs differ in more than the seed.
            --study FILE groups a study's runs by its entries, in the file's order (with the study's \
            --study-dir and --set, as `bgpo study`): runs whose metrics reach train.max_steps count, the others \
            are listed as left out; a run whose configuration is not the study's is refused naming the keys.
            --gradients FILE draws a bgpo study gradients report instead (no run directories).
            Exit codes: 0 written, 64 bad options or runs that cannot be pooled (the message names the keys \
            that differ), 65 a metrics or configuration file that cannot be parsed, 74 a file that cannot be \
            read or written.
            """
    )

    @Argument(help: ArgumentHelp("Run directories, each holding a metrics.jsonl (and config.toml for --by-config).",
                                 valueName: "run-dir"))
    var runDirectories: [String] = []

    @Option(help: ArgumentHelp("The HTML file to write.", valueName: "file"))
    var out = "report.html"

    @Flag(help: "Group the run directories by configuration without the seed.")
    var byConfig = false

    @Option(name: .customLong("group"), help: ArgumentHelp(
        "One group of runs that differ only by seed: [NAME=]DIR,DIR,... (repeatable; NAME defaults to the runs' parent directory).",
        valueName: "group"))
    var groups: [String] = []

    @Option(help: ArgumentHelp("Group the finished runs of this study file by its entries.", valueName: "study-file"))
    var study: String?

    @Option(help: ArgumentHelp("With --study: the study directory (default: the file's output_dir).", valueName: "dir"))
    var studyDir: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("With --study: an override of every run, as given to `bgpo study` (repeatable).",
                                                         valueName: "key=value"))
    var studyOverrides: [String] = []

    @Option(help: ArgumentHelp("The metric of the tables and comparisons.", valueName: "key"))
    var metric = "eval/accuracy"

    @Option(help: ArgumentHelp("A step tabulated and compared besides the final step.", valueName: "n"))
    var step: Int?

    @Option(help: ArgumentHelp("The group the others are compared with (default: the first).", valueName: "name"))
    var baseline: String?

    @Option(help: ArgumentHelp("Confidence level of the intervals and bands.", valueName: "p"))
    var level = 0.95

    @Flag(help: "Print the group tables as Markdown.")
    var table = false

    @Option(help: ArgumentHelp("Write the group tables as JSON to this file.", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Draw this bgpo study gradients report (JSON) instead of runs.", valueName: "file"))
    var gradients: String?

    func validate() throws {
        if gradients != nil {
            guard runDirectories.isEmpty, groups.isEmpty, !byConfig, !table, json == nil, baseline == nil, step == nil else {
                throw ValidationError("--gradients draws a gradient report alone: no run directories or group options")
            }
            return
        }
        let grouped = byConfig || !groups.isEmpty || study != nil
        if study == nil, studyDir != nil || !studyOverrides.isEmpty {
            throw ValidationError("--study-dir and --set go with --study")
        }
        if study != nil {
            guard runDirectories.isEmpty, groups.isEmpty, !byConfig else {
                throw ValidationError("--study gives the runs: no run directories, --by-config or --group with it")
            }
        } else if !groups.isEmpty {
            guard runDirectories.isEmpty, !byConfig else {
                throw ValidationError("give run directories (with or without --by-config) or --group, not both")
            }
        } else {
            guard !runDirectories.isEmpty else { throw ValidationError("give at least one run directory") }
        }
        guard level > 0 && level < 1 else { throw ValidationError("--level must be between 0 and 1, got \(level)") }
        if let step, step < 0 { throw ValidationError("--step must be >= 0, got \(step)") }
        if !grouped, table || json != nil || baseline != nil || step != nil {
            throw ValidationError("--table, --json, --baseline and --step need --by-config or --group")
        }
    }

    func run() throws {
        if let gradients {
            try write(try GradientQualityReport(contentsOf: URL(fileURLWithPath: gradients)).html, to: out)
            print("wrote \(out) (gradient report \(gradients))")
            return
        }
        guard byConfig || !groups.isEmpty || study != nil else {
            let runs = try runDirectories.map { try RunReport.Run(directory: URL(fileURLWithPath: $0, isDirectory: true)) }
            try write(RunReport(runs: runs).html, to: out)
            print("wrote \(out) (\(runs.count) run\(runs.count == 1 ? "" : "s"): \(runs.map(\.name).joined(separator: ", ")))")
            return
        }
        let runGroups: [RunGroup]
        if let study {
            let plan = try StudyPlan.read(file: study, studyDirectory: studyDir, extraOverrides: studyOverrides)
            let found = try StudyGroups(plan: plan)
            for line in found.leftOut { StandardStream.error.writeLog("bgpo report: left out \(line)\n") }
            guard !found.groups.isEmpty else {
                throw ValidationError("no run of \(study) has finished (\(plan.runs.count) runs in \(plan.directory))")
            }
            runGroups = found.groups
        } else if byConfig {
            runGroups = try RunGroup.byConfiguration(runDirectories.map { try SeedRun(directory: Self.url($0)) })
        } else {
            runGroups = try groups.map(Self.group)
        }
        let report = try GroupReport(groups: runGroups, metric: metric, step: step, level: level, baseline: baseline)
        try write(report.html, to: out)
        if let json { try write(report.json, to: json) }
        if table { print(report.markdown, terminator: "") }
        let summary = runGroups.map { "\($0.name) (\($0.runs.count) seed\($0.runs.count == 1 ? "" : "s"))" }
        StandardStream.error.writeLog("wrote \(out)\(json.map { " and \($0)" } ?? ""): \(summary.joined(separator: ", "))\n")
    }

    /// The group an argument `[NAME=]DIR,DIR,...` describes.
    private static func group(_ argument: String) throws -> RunGroup {
        var name: String?
        var list = Substring(argument)
        if let equals = argument.firstIndex(of: "="), !argument[..<equals].contains("/") {
            name = String(argument[..<equals])
            list = argument[argument.index(after: equals)...]
        }
        let directories = list.split(separator: ",").map { String($0) }
        guard !directories.isEmpty else { throw ValidationError("--group \(argument): expected [NAME=]DIR,DIR,...") }
        let runs = try directories.map { try SeedRun(directory: url($0)) }
        return try RunGroup(name: name ?? RunGroup.defaultName(of: runs.map(\.directory)), runs: runs)
    }

    private static func url(_ path: String) -> URL {
        URL(fileURLWithPath: path, isDirectory: true)
    }

    private func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw RecordError.io(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
