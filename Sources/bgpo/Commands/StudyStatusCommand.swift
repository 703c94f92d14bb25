import ArgumentParser
import Base
import Checkpoint
import Foundation
import Records
import RunConfig
import Training

extension StudyCommand {
    /// `bgpo study status`: where every run of a study stands, and its accuracy so far.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show where every run of a study stands: not started, step k of N, complete, or why it cannot resume.",
            discussion: """
                Reads each run's directory and changes nothing. A run's state is what `bgpo study train` would \
                do with it: start afresh (not started; "no checkpoint yet" when an earlier start left records, \
                which a fresh start sets aside), resume from its newest usable checkpoint (step k of N), \
                nothing (complete), or refuse: "differs" names the keys, affecting training, in which the \
                checkpoint's configuration differs from the study's (exit 64 on resume), "unusable" says why no \
                checkpoint can be read (exit 74). Beside it, the first and the last evaluation of the run's \
                metrics log up to that checkpoint, with standard errors. By default only each newest \
                checkpoint's manifest, headers and state are read; --verify checks every byte as a resume \
                does. Lines are tab-separated: index, run directory, state, accuracy; a count of each state \
                goes to standard error. Exit 0 whatever the runs' states; 64 for a bad study file.
                """)

        @OptionGroup var study: StudyOptions

        @Flag(help: "Check every byte of the checkpoints (SHA-256, zstd checksums), as a resume does.")
        var verify = false

        @Flag(help: "Print one JSON object per run instead of the table.")
        var json = false

        func run() throws {
            let plan = try study.plan()
            let statuses = plan.runs.map { StudyRunStatus(run: $0, check: verify ? .full : .summary) }
            for status in statuses {
                if json {
                    let data = try JSONSerialization.data(withJSONObject: Self.jsonObject(status), options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print("\(status.run.index)\t\(status.run.directory)\t\(status.summary)\t\(Self.accuracyText(status))")
                }
            }
            let counts = Dictionary(grouping: statuses, by: Self.stateName).mapValues(\.count)
            let order = ["complete", "in_progress", "no_checkpoint", "not_started", "differs", "unusable"]
            let parts = order.compactMap { name in counts[name].map { "\($0) \(name.replacingOccurrences(of: "_", with: " "))" } }
            StandardStream.error.writeLog("bgpo study: \(statuses.count) runs: \(parts.joined(separator: ", "))\n")
        }

        /// `15.72% ± 1.14% -> 25.93% ± 1.37% (+10.2 points, step 30, n = 1024)`, or what is missing.
        static func accuracyText(_ status: StudyRunStatus) -> String {
            if let problem = status.metricsProblem { return "metrics: \(problem)" }
            guard let first = status.firstAccuracy, let last = status.lastAccuracy else { return "-" }
            func percent(_ e: AccuracyEstimate) -> String {
                String(format: "%.2f%% ± %.2f%%", 100 * e.accuracy, 100 * e.standardError)
            }
            guard last.step != first.step else { return "\(percent(first.estimate)) (step \(first.step), n = \(first.estimate.problems))" }
            return String(format: "%@ -> %@ (%+.1f points, step %d, n = %d)", percent(first.estimate), percent(last.estimate),
                          100 * (last.estimate.accuracy - first.estimate.accuracy), last.step, last.estimate.problems)
        }

        /// The state's name in JSON and in the counts (`no_checkpoint`: not started, but with records).
        static func stateName(_ status: StudyRunStatus) -> String {
            switch status.progress {
            case .notStarted: status.recordedStep == nil ? "not_started" : "no_checkpoint"
            case .inProgress: "in_progress"
            case .complete: "complete"
            case .differs: "differs"
            case .unusable: "unusable"
            }
        }

        static func jsonObject(_ status: StudyRunStatus) -> [String: Any] {
            var object: [String: Any] = [
                "index": status.run.index, "entry": status.run.entry, "seed": status.run.seed,
                "directory": status.run.directory, "state": stateName(status),
                "max_steps": status.run.config.train.maxSteps,
            ]
            switch status.progress {
            case .notStarted: break
            case .inProgress(let step, _), .complete(let step): object["step"] = step
            case .differs(let step, let changes):
                object["step"] = step
                object["changes"] = changes.map { ["key": $0.key, "checkpoint": $0.old, "study": $0.new] }
            case .unusable(let reason): object["reason"] = reason
            }
            if !status.skipped.isEmpty {
                object["skipped"] = status.skipped.map { ["name": $0.name, "reason": $0.reason] }
            }
            func estimate(_ pair: (step: Int, estimate: AccuracyEstimate)) -> [String: Any] {
                var object: [String: Any] = ["step": pair.step, "accuracy": pair.estimate.accuracy,
                                             "problems": pair.estimate.problems]
                // Records written before the standard error was logged have none (NaN, not JSON).
                if pair.estimate.standardError.isFinite { object["se"] = pair.estimate.standardError }
                return object
            }
            if let first = status.firstAccuracy { object["first_eval"] = estimate(first) }
            if let last = status.lastAccuracy { object["last_eval"] = estimate(last) }
            if let problem = status.metricsProblem { object["metrics_problem"] = problem }
            if let step = status.recordedStep { object["recorded_step"] = step }
            return object
        }
    }
}
