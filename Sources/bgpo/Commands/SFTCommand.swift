import ArgumentParser
import Base
import Checkpoint
import Cluster
import DLLM
import Foundation
import ModelFiles
import RunConfig
import Tasks
import Training

/// `bgpo sft`: LLaDA-style supervised training of a masked-diffusion model on a task's reference
/// solutions, configured like `bgpo train`; the loop is the warm start's (``Training/SupervisedRun``).
struct SFTCommand: ParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Train a model from scratch (or continue one) on a task's generated problems and reference solutions.",
        discussion: """
            The run configuration is bgpo train's (see `bgpo config show`): the model shape comes from [model], \
            the task and the evaluation set from [task], the steps, batch, learning-rate schedule and cadence from \
            [sft], AdamW's betas, epsilon, weight decay and clip from [optim], the response length and the \
            evaluation's decoding from [rollout], the seed and micro-batch from [train]. With the same \
            configuration it makes the same model as bgpo train's warm start (RUN_DIR/base).

            Each step draws sft.batch_size training problems (from index 2^32 of train.seed's stream, cycled by \
            task.train_size; problems without a reference that fits rollout.max_completion_length are skipped and \
            counted), pads the references with EOS, masks them as LLaDA's SFT does and takes one AdamW step. \
            Every sft.eval_steps steps and after the last, task.eval_set is decoded and the accuracy printed with \
            its standard error, and the model is written to --out (model.json, model.safetensors, and config.toml, \
            the configuration that made it: `bgpo sft --config DIR/config.toml` makes it again). --model continues \
            a model directory (new optimiser state and schedule).

            Every sft.save_steps steps, after the last step and on SIGUSR1 or SIGTERM, rank 0 writes a checkpoint \
            (weights, Adam moments, counters; verified zstd files) into DIR/checkpoints; a signal stops the run \
            after the current step with exit 75. Run the same command again to resume (--resume auto): the run \
            continues exactly where the checkpoint was taken, the same updates as an uninterrupted run.

            Under mpirun or srun the training is data-parallel: every rank runs its share of each step's examples \
            and of the evaluation, one all-reduce sums the gradients, and rank 0 prints and writes the model. \
            Exit codes: 0 done (or already complete), 64 bad command line or configuration (the options of \
            earlier versions, such as --steps, are refused with the key to set instead; a resume whose \
            configuration changed the training), 65 bad input data, 70 non-finite loss or internal error, 74 I/O \
            or checkpoint failure, 75 stopped by a signal with a checkpoint.
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: ArgumentHelp("The model directory to write after every evaluation.", valueName: "dir"))
    var out: String

    @Option(help: ArgumentHelp("Continue training this model directory instead of a fresh initialisation (model.path).",
                               valueName: "dir"))
    var model: String?

    @Option(help: ArgumentHelp("auto (the newest checkpoint in DIR/checkpoints that verifies; a fresh start where there is "
                               + "none), never (a fresh start; refused where checkpoints exist), or a checkpoint directory.",
                               valueName: "auto|never|path"))
    var resume = "auto"

    @OptionGroup var threads: RankThreadOptions

    /// What the parser did not recognise: refused in ``validate()``, retired options with their keys.
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var unrecognized: [String] = []

    /// Refuses leftovers of the command line, naming the key of each retired option (exit 64).
    func validate() throws {
        try RetiredSFTOptions.check(unrecognized: unrecognized, preset: options.preset)
    }

    /// Resolves and checks the configuration, then trains on every rank; rank 0 writes the model.
    func run() throws {
        var config = try options.resolve()
        if let model { config.model.path = model }
        threads.apply(to: &config)
        try config.validate()
        guard config.sft.steps > 0 else {
            throw ConfigError.invalidValue(key: "sft.steps", value: "0",
                                           expected: "at least 1: bgpo sft trains sft.steps updates (0 only skips bgpo train's warm start)")
        }
        let task = try TaskRegistry.task(named: config.task.name)
        let tokenizer = try config.model.makeTokenizer()
        try config.checkFits(task: task, tokenizer: tokenizer)
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        // Before MPI starts threads: they inherit the signal mask.
        try StopSignal.install()
        let outcome = try RankContext.run(requestedThreads: config.run.threads > 0 ? config.run.threads : nil) { ranks in
            ranks.say("bgpo sft: " + ranks.summary)
            let (model, metadata) = try startingModel(config: config, tokenizer: tokenizer)
            let start = try SupervisedStart(metadata: metadata, source: URL(fileURLWithPath: config.model.path)
                                                .appendingPathComponent(ModelStore.descriptionFile).path)
            let run = SupervisedRun(config: config, task: task, tokenizer: tokenizer, communicator: ranks.communicator,
                                    log: ranks.say, threads: ranks.threads.threads)
            try ranks.communicator.rootOnly {
                try createDirectories(directory)
            }
            let checkpoints = SupervisedCheckpoints(store: CheckpointStore(runDirectory: directory, settings: config.checkpoint),
                                                    resume: ResumeChoice(argument: resume), stopSignal: { StopSignal.received })
            let progress = try run.train(model, from: start, evaluateAtEnd: true, checkpoints: checkpoints) { progress in
                try ranks.communicator.rootOnly {
                    try BaseModel.save(model, tokenizer: tokenizer, config: config,
                                       metadata: metadata.merging(progress.metadata(config: config, task: task)) { $1 },
                                       to: directory)
                }
            }
            if case .completed = progress.outcome { ranks.say("model and config.toml written to \(directory.path)") }
            return progress.outcome
        }
        if case .stopped = outcome {
            throw ExitCode(ExitStatus.tempFail)
        }
    }

    /// The model to train (`model.path`, or a fresh one from `train.seed`) and the metadata it
    /// carries over.
    private func startingModel(config: RunConfig, tokenizer: any Tokenizer) throws -> (Model, [String: String]) {
        guard !config.model.path.isEmpty else {
            return (try BaseModel.initialModel(config: config, tokenizer: tokenizer), [:])
        }
        return try BaseModel.load(URL(fileURLWithPath: config.model.path, isDirectory: true), tokenizer: tokenizer)
    }
}
