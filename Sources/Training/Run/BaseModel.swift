import Cluster
import DLLM
import Foundation
import ModelFiles
import RunConfig
import Tasks

/// The model RL starts from: `model.path`, else the warm start kept in `RUN_DIR/base` by an
/// earlier attempt, else a fresh initialisation from the seed followed by the supervised warm
/// start (`sft.steps` > 0), which rank 0 then keeps in `RUN_DIR/base`.
///
/// The warm start is LLaDA-style masked SFT (``SupervisedTrainer``) on the task's reference
/// completions of generated training problems, padded with EOS to `max_completion_length`. Its
/// problems are indices `2^32, 2^32 + 1, ...` of the training stream (modulo `task.train_size`
/// when that is set), so they are not the prompts RL draws first. It is data-parallel: every rank
/// runs its share of each step's examples and the gradients are summed (``SupervisedTrainer``).
public enum BaseModel {
    /// The directory of the warm-started model inside a run directory.
    public static let directoryName = "base"

    /// Loads or builds the base model on every rank.
    ///
    /// - Parameter log: receives human-readable lines (rank 0 only).
    public static func prepare(config: RunConfig, task: any RewardTask, tokenizer: any Tokenizer,
                               communicator: any Communicator, log: (String) -> Void) throws -> Model {
        if !config.model.path.isEmpty {
            let loaded = try load(URL(fileURLWithPath: config.model.path, isDirectory: true), tokenizer: tokenizer)
            log("base model: \(config.model.path) (\(describe(loaded.config)))")
            return loaded
        }
        let runDirectory = URL(fileURLWithPath: config.run.outputDir, isDirectory: true)
        let kept = runDirectory.appendingPathComponent(directoryName, isDirectory: true)
        let recipe = warmStartRecipe(config, task: task)
        if FileManager.default.fileExists(atPath: kept.appendingPathComponent(ModelStore.descriptionFile).path) {
            let loaded = try ModelStore.load(from: kept)
            if loaded.description.metadata[recipeKey] == recipe, loaded.tokenizer.identifier == tokenizer.identifier {
                log("base model: the warm start kept in \(kept.path) (\(describe(loaded.model.config)))")
                return loaded.model
            }
            log("base model: the warm start kept in \(kept.path) was made with other settings; making it again")
        }
        let model = Model(config: try config.model.modelConfig(tokenizer: tokenizer), seed: UInt64(config.train.seed))
        log("base model: \(config.model.preset) initialised from seed \(config.train.seed) (\(describe(model.config)))")
        guard config.sft.steps > 0 else {
            log("sft.steps = 0: RL starts from the random initialisation")
            return model
        }
        try warmStart(model, config: config, task: task, tokenizer: tokenizer, communicator: communicator, log: log)
        try communicator.rootOnly {
            try ModelStore.save(model, tokenizer: tokenizer, to: kept,
                                metadata: ["task": task.name, "sft_steps": "\(config.sft.steps)", "seed": "\(config.train.seed)",
                                           recipeKey: recipe])
            log("warm-started model kept in \(kept.path)")
        }
        return model
    }

    /// The metadata key of the settings a kept warm start was made with.
    static let recipeKey = "warm_start"

    /// Everything the warm start depends on, so that a kept one is reused only when it matches.
    static func warmStartRecipe(_ config: RunConfig, task: any RewardTask) -> String {
        "\(config.model) \(config.sft) task \(task.name) train_size \(config.task.trainSize) seed \(config.train.seed) "
            + "completion \(config.rollout.maxCompletionLength) micro-batch \(config.train.microBatchSize) "
            + "adamw \(config.optim.weightDecay) \(config.optim.adamBeta1) \(config.optim.adamBeta2) \(config.optim.adamEpsilon) "
            + "clip \(config.optim.maxGradNorm)"
    }

    /// The first training-stream index of the warm start's problems.
    static let firstProblem: UInt64 = 1 << 32

    /// `sft.steps` updates of masked SFT on reference completions.
    private static func warmStart(_ model: Model, config: RunConfig, task: any RewardTask, tokenizer: any Tokenizer,
                                  communicator: any Communicator, log: (String) -> Void) throws {
        let sft = config.sft
        let options = SupervisedTrainingOptions(
            batchSize: sft.batchSize, microBatchSize: config.train.microBatchSize,
            schedule: LearningRateSchedule(peak: sft.learningRate, warmupUpdates: sft.warmupSteps, totalUpdates: sft.steps,
                                           shape: sft.lrSchedulerType),
            adamW: AdamWSettings(config.optim), seed: UInt64(config.train.seed))
        let trainer = SupervisedTrainer(model: model, options: options, communicator: communicator)
        let length = config.rollout.maxCompletionLength
        let trainSize = UInt64(config.task.trainSize)
        var cursor = firstProblem
        var skipped = 0
        let logEvery = max(1, sft.steps / 20)
        log("supervised warm start: \(sft.steps) steps of \(sft.batchSize) reference completions of \(task.name), "
            + "learning rate \(sft.learningRate) (\(sft.lrSchedulerType.rawValue), \(sft.warmupSteps) warm-up steps), "
            + "split over \(communicator.size) rank(s)")
        let watch = Stopwatch()
        for step in 1...sft.steps {
            var examples: [SupervisedExample] = []
            while examples.count < sft.batchSize {
                let index = trainSize > 0 ? cursor % trainSize : cursor
                cursor += 1
                let problem = task.trainingProblem(seed: UInt64(config.train.seed), index: index)
                guard let reference = problem.reference,
                      let response = try? tokenizer.encodeResponse(reference, length: length) else {
                    skipped += 1
                    guard skipped < 100 * sft.batchSize || !examples.isEmpty else {
                        throw TrainingError.noReferences(task: task.name, length: length)
                    }
                    continue
                }
                examples.append(SupervisedExample(prompt: try tokenizer.encodePrompt(problem.prompt), response: response))
            }
            let report = try trainer.train(on: examples)
            if step % logEvery == 0 || step == sft.steps {
                log(String(format: "sft step %d/%d | loss %.4f | grad %.3f | lr %.2e | %.2f s/step",
                           step, sft.steps, report.loss, report.gradNorm, report.learningRate, watch.elapsed / Double(step)))
            }
        }
        if skipped > 0 {
            log("sft: skipped \(skipped) problems without a reference that fits \(length) tokens")
        }
    }

    private static func load(_ directory: URL, tokenizer: any Tokenizer) throws -> Model {
        let loaded = try ModelStore.load(from: directory)
        guard loaded.tokenizer.identifier == tokenizer.identifier else {
            throw TrainingError.incompatibleCheckpoint(
                path: directory.path, reason: "the model uses tokenizer \(loaded.tokenizer.identifier), the run model.tokenizer = \(tokenizer.identifier)")
        }
        return loaded.model
    }

    private static func describe(_ config: ModelConfig) -> String {
        let parameters = ParameterLayout(config: config).totalCount
        return String(format: "d_model %d, %d layers, vocab %d, max_seq %d, %.2fM parameters",
                      config.dModel, config.nLayers, config.vocabSize, config.maxSeq, Double(parameters) / 1e6)
    }
}
