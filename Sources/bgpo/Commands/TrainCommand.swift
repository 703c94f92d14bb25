import ArgumentParser
import Base
import Cluster
import Foundation
import Kernels
import Tasks
import Training

/// `bgpo train`: the whole pipeline of a run: base model (loaded, or warm-started by supervised
/// fine-tuning), test accuracy before RL, the RL steps with records and checkpoints, test accuracy
/// after.
struct TrainCommand: ParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "RL fine-tuning (BGPO, VRPO-OL, elbo-exact or diffu-GRPO) of a masked-diffusion LM.",
        discussion: """
            Run it the same way for the first start and every restart: with --resume auto (the \
            default) it continues from the newest checkpoint of the run directory that verifies, \
            and says why newer ones were skipped. Records go to RUN_DIR: config.toml, \
            metrics.jsonl (one line per step, step 0 being the evaluation before RL), \
            checkpoints/, and base/ (the warm-started model). Under mpirun or srun --mpi=pmix the \
            prompts are sharded over the ranks. SIGUSR1, SIGUSR2 and SIGTERM (and the time limit) \
            stop the run at a step boundary with a checkpoint.
            Exit codes: 0 done (or already complete), 64 bad command line or configuration \
            (including a resume whose configuration changed the algorithm or the data, unless \
            --allow-config-change), 65 bad input data, 70 non-finite loss or gradient or internal \
            error or non-finite weights, 74 I/O or checkpoint failure (a --resume PATH that does not \
            verify, checkpoints that cannot be read or none of which verifies, a run directory that \
            cannot be written: nothing in the run directory is changed), 75 stopped early with a \
            checkpoint (requeue).
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: ArgumentHelp("The run directory (run.output_dir).", valueName: "dir"))
    var outputDir: String?

    @Option(help: ArgumentHelp("auto (the newest checkpoint that verifies; a fresh start only where there is no checkpoint), "
                               + "never (a fresh start; refused where checkpoints exist), or a checkpoint directory.",
                               valueName: "auto|never|path"))
    var resume = "auto"

    @Flag(help: "Resume even when the configuration changed in a way that alters the algorithm or the data order.")
    var allowConfigChange = false

    @OptionGroup var threads: RankThreadOptions
    @OptionGroup var timeLimit: TimeLimitOptions

    func run() throws {
        var config = try options.resolve()
        if let outputDir { config.run.outputDir = outputDir }
        threads.apply(to: &config)
        timeLimit.apply(to: &config)
        try config.validate()
        let task = try TaskRegistry.task(named: config.task.name)
        let tokenizer = try config.model.makeTokenizer()
        try config.checkFits(task: task, tokenizer: tokenizer)

        // Before MPI starts threads: they inherit the signal mask.
        try StopSignal.install()
        let outcome = try RankContext.run(requestedThreads: config.run.threads > 0 ? config.run.threads : nil) { ranks in
            let limit = try TimeLimit.resolve(timeLimitSeconds: config.run.timeLimit > 0 ? Double(config.run.timeLimit) : nil,
                                              slurm: ranks.slurm, communicator: ranks.communicator)
            ranks.say("bgpo train: " + ranks.summary)
            if ranks.communicator.isRoot {
                for warning in config.warnings {
                    StandardStream.error.writeLog("bgpo: \(warning)\n")
                }
                if config.rollout.computeDtype == .bf16 {
                    StandardStream.error.writeLog("bgpo: \(bf16ThroughputNote(FMAPeak.measure()))\n")
                }
            }
            if let deadline = limit.deadline {
                ranks.say("time limit: \(limit.source.rawValue), stop before \(deadline) with a checkpoint")
            }
            if let warning = limit.warning { ranks.say(warning) }

            let run = TrainingRun(config: config, task: task, tokenizer: tokenizer, communicator: ranks.communicator,
                                  resume: ResumeChoice(argument: resume), allowConfigChange: allowConfigChange,
                                  timeLimit: limit, stopSignal: { StopSignal.received }, log: ranks.say,
                                  threads: ranks.threads.threads)
            return try run.run {
                try BaseModel.prepareBase(config: config, task: task, tokenizer: tokenizer, communicator: ranks.communicator,
                                          stopSignal: { StopSignal.received },
                                          log: ranks.say, threads: ranks.threads.threads)
            }
        }
        if case .stopped = outcome {
            throw ExitCode(ExitStatus.tempFail)
        }
    }
}
