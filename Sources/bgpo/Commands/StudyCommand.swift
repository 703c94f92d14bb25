import ArgumentParser
import Base
import Foundation
import Kernels
import RunConfig

/// `bgpo study`: plan a seed study from its file and run one of its runs; measure gradient quality.
struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Plan and run a study: entries (a preset with overrides) run for several seeds.",
        discussion: """
            A study file (TOML) has optional top-level output_dir, seeds and overrides (key=value strings \
            applied to every run) and one [[run]] table per entry with name, preset, optional overrides and \
            seeds. Run i of the plan is entry e's seed s (entries in file order, seeds in order); it trains \
            into STUDY_DIR/<name>/seed-<s> with the preset, the study's overrides, the entry's, any --set, \
            then train.seed = s. `env/run-study.sh` runs a study on this machine, `slurm/study.sbatch` as a \
            job array; `bgpo study status` shows where each run stands; `bgpo report --by-config STUDY_DIR/*/seed-*` pools the seeds. Every run's \
            configuration is checked before anything runs: exit 64 names the file, entry, preset or key. \
            `bgpo study gradients` measures the objectives' gradient noise and bias against n_t.
            """,
        subcommands: [Plan.self, Status.self, Train.self, Gradients.self]
    )
}

/// The options that locate a study and its runs, shared by `plan`, `status` and `train`.
struct StudyOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The study file (.toml).", valueName: "study-file"))
    var file: String

    @Option(help: ArgumentHelp("The study directory (default: the file's output_dir, else studies/<file name>).",
                               valueName: "dir"))
    var studyDir: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one key of every run, after the file's overrides (repeatable).",
                                                         valueName: "key=value"))
    var overrides: [String] = []

    /// The study's plan, every run validated; warnings go to standard error.
    func plan() throws -> StudyPlan {
        let plan = try StudyPlan.read(file: file, studyDirectory: studyDir, extraOverrides: overrides)
        for warning in plan.warnings {
            StandardStream.error.writeLog("bgpo: warning: \(warning)\n")
        }
        return plan
    }
}

extension StudyCommand {
    /// `bgpo study plan`: validate a study and list its runs.
    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a study file and print one line per run: index, output directory and bgpo train command.",
            discussion: "Lines are tab-separated: index, run directory, command. --count prints only the number of runs.")

        @OptionGroup var study: StudyOptions

        @Option(help: ArgumentHelp("Print only run I (0-based).", valueName: "i"))
        var index: Int?

        @Flag(help: "Print only the number of runs.")
        var count = false

        @Option(help: ArgumentHelp("The program name in the printed commands.", valueName: "path"))
        var program = "bgpo"

        func run() throws {
            let plan = try study.plan()
            if count {
                print(plan.runs.count)
                return
            }
            let runs = try index.map { [try StudyCommand.run($0, of: plan)] } ?? plan.runs
            for run in runs {
                print("\(run.index)\t\(run.directory)\t\(run.commandLine(program: program))")
            }
        }
    }

    /// `bgpo study train`: run one run of a study.
    struct Train: ParsableCommand, LoggingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run run I of a study: bgpo train with the run's preset, overrides, seed and directory.",
            discussion: """
                The whole study is validated first. The run resumes by itself (--resume auto) and does \
                nothing when it is already complete; exit codes are bgpo train's.
                """)

        @OptionGroup var study: StudyOptions

        @Option(help: ArgumentHelp("The run (0-based index in `bgpo study plan`).", valueName: "i"))
        var index: Int

        @OptionGroup var threads: RankThreadOptions
        @OptionGroup var timeLimit: TimeLimitOptions

        func run() throws {
            let run = try StudyCommand.run(index, of: try study.plan())
            var arguments = Array(run.trainArguments.dropFirst())
            arguments += threads.arguments + timeLimit.arguments
            printLine("bgpo study: run \(run.index) (\(run.entry), seed \(run.seed)): \(run.commandLine())")
            let train = try TrainCommand.parse(arguments)
            try train.run()
        }
    }

    /// Run `index` of `plan`, or a usage error naming the range.
    static func run(_ index: Int, of plan: StudyPlan) throws -> StudyPlan.Run {
        guard plan.runs.indices.contains(index) else {
            throw ValidationError("--index \(index) is outside the study's \(plan.runs.count) runs (0...\(plan.runs.count - 1))")
        }
        return plan.runs[index]
    }
}
