import ArgumentParser
import DLLM
import Foundation
import ModelFiles
import RunConfig
import Tasks
import Training

/// `bgpo sft`: LLaDA-style supervised training of a masked-diffusion model on a task's solutions.
struct SFTCommand: ParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Train a model from scratch (or continue one) on a task's generated problems and reference solutions.",
        discussion: """
            Each step draws --batch-size fresh training problems (RewardTask.trainingProblem with --seed; problems without \
            a reference are skipped), pads the references with EOS to --generation-length, masks them as LLaDA's SFT \
            does (t ~ U(0,1), p = (1 - 1e-3) t + 1e-3) and takes one AdamW step on the mean loss, with warm-up, \
            a constant/linear/cosine schedule and gradient-norm clipping. Every --eval-every steps and at the end \
            the model decodes the test split greedily and the accuracy is printed. The model is written to --out \
            (model.json + model.safetensors) after every evaluation; continue it with --model.

            Under mpirun or srun the training is data-parallel: every rank runs its share of each step's examples, \
            one all-reduce sums the gradients, and rank 0 evaluates, prints and writes the model. Without --threads \
            a single process uses every core and each of several ranks one (or SLURM_CPUS_PER_TASK).
            """
    )

    @Option(help: "Task: \(TaskRegistry.names.joined(separator: ", ")).")
    var task: String

    @Option(help: "Output model directory.")
    var out: String

    @Option(help: "Continue training this model directory instead of starting from scratch.")
    var model: String?

    @Option(help: "Model shape preset: \(ModelConfig.presetNames.joined(separator: ", ")) (vocabulary and special ids come from the tokenizer).")
    var preset = "small"

    @Option(help: "Override the preset's width.")
    var dModel: Int?

    @Option(help: "Override the preset's number of blocks.")
    var layers: Int?

    @Option(help: "Override the preset's number of attention heads.")
    var heads: Int?

    @Option(help: "Override the preset's number of key/value heads (default: --heads).")
    var kvHeads: Int?

    @Option(help: "Override the preset's SwiGLU hidden width.")
    var mlpHidden: Int?

    @Option(help: "Longest sequence (prompt + response) the model accepts.")
    var maxSeq = 256

    @Option(help: "Optimiser steps.")
    var steps = 1000

    @Option(help: "Examples per optimiser step.")
    var batchSize = 64

    @Option(help: "Examples per forward/backward pass (default: --batch-size).")
    var microBatchSize: Int?

    @Option(help: "Peak learning rate.")
    var learningRate = 1e-3

    @Option(help: "Linear warm-up steps.")
    var warmupSteps = 50

    @Option(help: "Schedule after warm-up: constant, linear or cosine.")
    var lrSchedule = "cosine"

    @Option(help: "AdamW decoupled weight decay.")
    var weightDecay = 0.01

    @Option(help: "Adam beta1.")
    var adamBeta1 = 0.9

    @Option(help: "Adam beta2.")
    var adamBeta2 = 0.999

    @Option(help: "Adam epsilon.")
    var adamEpsilon = 1e-8

    @Option(help: "Global gradient-norm clip (0: off).")
    var maxGradNorm = 1.0

    @Option(help: "Evaluate on the test split every N steps (0: only at the end).")
    var evalEvery = 0

    @Option(help: "Evaluate on the first N test problems (default: all).")
    var evalLimit: Int?

    @Option(help: "Problems decoded together during evaluation.")
    var evalBatchSize = 128

    @Option(help: "Print a training line every N steps.")
    var logEvery = 10

    @Option(help: "Seed of the initial weights, the training problems and the masks.")
    var seed: UInt64 = 0

    @OptionGroup var decoding: DecodingOptions
    @OptionGroup var threads: RankThreadOptions

    func validate() throws {
        for (name, value) in [("steps", steps), ("batch-size", batchSize), ("log-every", logEvery),
                              ("eval-batch-size", evalBatchSize), ("max-seq", maxSeq)] {
            try checkCount(value, option: "--\(name)")
        }
        if let microBatchSize { try checkCount(microBatchSize, option: "--micro-batch-size") }
        if let evalLimit { try checkCount(evalLimit, option: "--eval-limit") }
        try checkCount(evalEvery, option: "--eval-every", minimum: 0)
        try checkCount(warmupSteps, option: "--warmup-steps", minimum: 0)
        guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive, got \(learningRate)") }
        guard LearningRateSchedule.Shape(rawValue: lrSchedule) != nil else {
            throw ValidationError("--lr-schedule must be one of \(LearningRateSchedule.Shape.allCases.map(\.rawValue).joined(separator: ", ")), got '\(lrSchedule)'")
        }
    }

    func run() throws {
        let runStart = Date()
        try RankContext.run(requestedThreads: threads.threads) { ranks in try train(ranks: ranks, runStart: runStart) }
    }

    /// Trains on this rank's share of every step; rank 0 evaluates and writes the model.
    private func train(ranks: RankContext, runStart: Date) throws {
        let communicator = ranks.communicator
        let say = ranks.say
        let task = try TaskRegistry.task(named: self.task)
        let (model, tokenizer, metadata) = try startingModel()
        let options = try decoding.samplingOptions(metadata: metadata)
        let startStep = metadata["sft_steps"].flatMap(Int.init) ?? 0
        var cursor = metadata["sft_problems"].flatMap(UInt64.init) ?? 0
        let testProblems = try ProblemSplit.test.problems(of: task, limit: evalLimit, seed: seed)
        let longestPrompt = try testProblems.map { try tokenizer.encodePrompt($0.prompt).count }.max() ?? 0
        guard longestPrompt + options.generationLength <= model.config.maxSeq else {
            throw SamplingError.sequenceTooLong(promptLength: longestPrompt, generationLength: options.generationLength,
                                                maxSequence: model.config.maxSeq)
        }
        let schedule = LearningRateSchedule(peak: learningRate, warmupUpdates: warmupSteps, totalUpdates: steps,
                                            shape: LearningRateSchedule.Shape(rawValue: lrSchedule)!)
        let trainer = SupervisedTrainer(
            model: model,
            options: SupervisedTrainingOptions(batchSize: batchSize, microBatchSize: microBatchSize ?? batchSize,
                                               schedule: schedule,
                                               adamW: AdamWSettings(beta1: adamBeta1, beta2: adamBeta2, epsilon: adamEpsilon,
                                                                    weightDecay: weightDecay, maxGradNorm: maxGradNorm),
                                               seed: seed),
            startStep: startStep, communicator: communicator)
        let evaluator = TaskEvaluator(task: task, tokenizer: tokenizer, options: options, batchSize: evalBatchSize)
        let c = model.config
        say("sft \(task.name): model d_model \(c.dModel) layers \(c.nLayers) heads \(c.nHeads)/\(c.nKVHeads) mlp \(c.mlpHidden) "
            + "vocab \(c.vocabSize), \(model.layout.totalCount) parameters; \(steps) steps x \(batchSize) examples, "
            + "L \(options.generationLength), block \(options.blockLength), eval steps \(options.steps); "
            + ranks.summary)

        var tokens = 0
        var windowSeconds = 0.0
        for step in 1...steps {
            var examples: [SupervisedExample] = []
            while examples.count < batchSize {
                let problem = task.trainingProblem(seed: seed, index: cursor)
                cursor += 1
                guard let reference = problem.reference else { continue }
                examples.append(SupervisedExample(prompt: try tokenizer.encodePrompt(problem.prompt),
                                                  response: try tokenizer.encodeResponse(reference, length: options.generationLength)))
            }
            let report = try trainer.train(on: examples)
            tokens += report.tokens
            windowSeconds += report.seconds
            if step % logEvery == 0 || step == steps {
                say(String(format: "step %5d/%d  loss %.4f  lr %.3e  grad_norm %.3f  tok/s %.0f  elapsed %.0f s",
                           step, steps, report.loss, report.learningRate, report.gradNorm,
                           Double(tokens) / max(windowSeconds, 1e-9), Date().timeIntervalSince(runStart)))
                tokens = 0
                windowSeconds = 0
            }
            if (evalEvery > 0 && step % evalEvery == 0) || step == steps {
                try communicator.rootOnly {
                    try evaluateAndSave(model: model, tokenizer: tokenizer, task: task, evaluator: evaluator, problems: testProblems,
                                        metadata: metadata, options: options, step: startStep + step, cursor: cursor)
                }
            }
        }
        say(String(format: "done: %d steps in %.0f s; model written to %@", steps, Date().timeIntervalSince(runStart), out))
    }

    /// Decodes the test split, prints the accuracy and writes the model with its metadata (rank 0).
    private func evaluateAndSave(model: Model, tokenizer: any Tokenizer, task: any RewardTask, evaluator: TaskEvaluator,
                                 problems: [TaskProblem], metadata: [String: String], options: SamplingOptions,
                                 step: Int, cursor: UInt64) throws {
        let evalStart = Date()
        let result = try evaluator.evaluate(model: ModelRunner(model: model), problems: problems, seed: seed)
        printLine(String(format: "eval  step %5d  accuracy %@  mean reward %.4f  %.1f s",
                         step, result.estimate.summary, result.meanReward, Date().timeIntervalSince(evalStart)))
        var saved = metadata
        saved["task"] = task.name
        saved["sft_steps"] = String(step)
        saved["sft_problems"] = String(cursor)
        saved["generation_length"] = String(options.generationLength)
        saved["block_length"] = String(options.blockLength)
        saved["seed"] = String(seed)
        saved["test_accuracy"] = String(format: "%.4f", result.accuracy)
        try ModelStore.save(model, tokenizer: tokenizer, to: URL(fileURLWithPath: out), metadata: saved)
    }

    /// The model to train, its tokenizer and the metadata carried over from a continued model.
    private func startingModel() throws -> (Model, any Tokenizer, [String: String]) {
        if let path = model {
            let (loaded, tokenizer, description) = try ModelStore.load(from: URL(fileURLWithPath: path))
            return (loaded, tokenizer, description.metadata)
        }
        let tokenizer = CharTokenizer()
        var config = try ModelConfig.preset(preset)
        config.vocabSize = tokenizer.vocabSize
        config.maskTokenID = tokenizer.maskTokenID
        config.eosTokenID = tokenizer.eosTokenID
        config.padTokenID = tokenizer.padTokenID
        config.maxSeq = maxSeq
        if let dModel { config.dModel = dModel }
        if let layers { config.nLayers = layers }
        if let heads {
            config.nHeads = heads
            config.nKVHeads = heads
        }
        if let kvHeads { config.nKVHeads = kvHeads }
        if let mlpHidden { config.mlpHidden = mlpHidden }
        try config.validate()
        let sizes = [("--d-model", dModel), ("--mlp-hidden", mlpHidden), ("--layers", layers)].compactMap { name, value in value.map { (name, $0) } }
        let largest = sizes.max { $0.1 < $1.1 } ?? ("--preset", 0)
        try ConfigLimits.checkTrainingMemory(config, microBatch: microBatchSize ?? batchSize, modelKey: largest.0,
                                             modelValue: largest.0 == "--preset" ? preset : "\(largest.1)",
                                             microBatchKey: microBatchSize == nil ? "--batch-size" : "--micro-batch-size")
        return (Model(config: config, seed: seed), tokenizer, [:])
    }
}
