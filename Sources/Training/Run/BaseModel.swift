import Checkpoint
import Cluster
import Crypto
import DLLM
import Foundation
import ModelFiles
import RunConfig
import Tasks

/// The model RL starts from: `model.path`, else the warm start kept in `RUN_DIR/base` by an
/// earlier attempt, else a fresh initialisation from the seed followed by the supervised warm
/// start (`sft.steps` > 0), which rank 0 then keeps in `RUN_DIR/base`.
///
/// The warm start is ``SupervisedRun``, the loop of `bgpo sft`: with the same configuration,
/// `bgpo sft` makes the same model. It is data-parallel: every rank runs its share of each step's
/// examples and the gradients are summed (``SupervisedTrainer``).
public enum BaseModel {
    /// The directory of the warm-started model inside a run directory.
    public static let directoryName = "base"
    /// The file, next to a trained model, of the configuration that made it.
    public static let configFile = "config.toml"

    /// Loads or builds the base model on every rank.
    ///
    /// The warm start checkpoints into `RUN_DIR/base/checkpoints` as `bgpo sft` does (every
    /// `sft.save_steps` steps and at a stop signal) and resumes from there: a run stopped during its
    /// warm start continues it exactly.
    ///
    /// - Parameters:
    ///   - stopSignal: the stop signal received so far, if any, polled at every warm-start step.
    ///   - log: receives human-readable lines (rank 0 only).
    ///   - threads: the rank's threads, over which the warm start's micro-batches run side by side.
    /// - Throws: ``TrainingError/warmStartStopped(step:)`` (exit 75) when a signal stopped the warm start.
    public static func prepare(config: RunConfig, task: any RewardTask, tokenizer: any Tokenizer,
                               communicator: any Communicator, stopSignal: @escaping () -> Int32? = { nil },
                               log: @escaping (String) -> Void, threads: Int = 1) throws -> Model {
        if !config.model.path.isEmpty {
            let loaded = try load(URL(fileURLWithPath: config.model.path, isDirectory: true), tokenizer: tokenizer)
            log("base model: \(config.model.path) (\(describe(loaded.model.config)))")
            return loaded.model
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
        let model = try initialModel(config: config, tokenizer: tokenizer)
        log("base model: \(config.model.preset) initialised from seed \(config.train.seed) (\(describe(model.config)))")
        guard config.sft.steps > 0 else {
            log("sft.steps = 0: RL starts from the random initialisation")
            return model
        }
        let run = SupervisedRun(config: config, task: task, tokenizer: tokenizer, communicator: communicator, log: log,
                                threads: threads)
        // The checkpoints of this recipe's warm start: those of other settings stay as they are.
        let store = CheckpointStore(runDirectory: kept.appendingPathComponent(warmStartDirectory(recipe), isDirectory: true),
                                    settings: config.checkpoint)
        let checkpoints = SupervisedCheckpoints(store: store, resume: .auto, stopSignal: stopSignal,
                                                compatibility: .sameRecipe(expected: recipe) { warmStartRecipe($0, task: task) })
        let progress = try run.train(model, evaluateAtEnd: false, checkpoints: checkpoints)
        if case .stopped(let step) = progress.outcome {
            throw TrainingError.warmStartStopped(step: step)
        }
        try communicator.rootOnly {
            var metadata = progress.metadata(config: config, task: task)
            metadata[recipeKey] = recipe
            try save(model, tokenizer: tokenizer, config: config, metadata: metadata, to: kept)
            log("warm-started model kept in \(kept.path)")
        }
        return model
    }

    /// The base weights of a run: ``prepare(config:task:tokenizer:communicator:stopSignal:log:threads:)``'s model, except
    /// that a `model.path` under LoRA with `model.dtype = bf16` is read straight into bfloat16 (an F32
    /// copy of LLaDA-8B alone would take 32 GB).
    public static func prepareBase(config: RunConfig, task: any RewardTask, tokenizer: any Tokenizer,
                                   communicator: any Communicator, stopSignal: @escaping () -> Int32? = { nil },
                                   log: @escaping (String) -> Void, threads: Int = 1) throws -> FrozenBase {
        guard !config.model.path.isEmpty, config.model.lora != nil, config.model.dtype == .bf16 else {
            return .f32(try prepare(config: config, task: task, tokenizer: tokenizer, communicator: communicator,
                                    stopSignal: stopSignal, log: log, threads: threads))
        }
        let directory = URL(fileURLWithPath: config.model.path, isDirectory: true)
        let loaded = try ModelStore.loadBF16(from: directory)
        guard loaded.tokenizer.identifier == tokenizer.identifier else {
            throw TrainingError.incompatibleCheckpoint(
                path: directory.path, reason: "the model uses tokenizer \(loaded.tokenizer.identifier), the run model.tokenizer = \(tokenizer.identifier)")
        }
        log("base model: \(config.model.path), read as bfloat16 (\(describe(loaded.model.config)))")
        return .bf16(loaded.model)
    }

    /// A fresh model of `config`'s shape (`model.preset` and overrides, the tokenizer's vocabulary),
    /// its weights drawn from `train.seed`.
    public static func initialModel(config: RunConfig, tokenizer: any Tokenizer) throws -> Model {
        Model(config: try config.model.modelConfig(tokenizer: tokenizer), seed: UInt64(config.train.seed))
    }

    /// The model of `directory`, checked to use `tokenizer`, with its metadata.
    public static func load(_ directory: URL, tokenizer: any Tokenizer) throws -> (model: Model, metadata: [String: String]) {
        let loaded = try ModelStore.load(from: directory)
        guard loaded.tokenizer.identifier == tokenizer.identifier else {
            throw TrainingError.incompatibleCheckpoint(
                path: directory.path, reason: "the model uses tokenizer \(loaded.tokenizer.identifier), the run model.tokenizer = \(tokenizer.identifier)")
        }
        return (loaded.model, loaded.description.metadata)
    }

    /// Writes `model` into `directory` (``ModelFiles/ModelStore``) with `metadata`, and next to it
    /// ``configFile``, the configuration it was trained with, so that `bgpo sft --config` makes it again.
    public static func save(_ model: Model, tokenizer: any Tokenizer, config: RunConfig, metadata: [String: String],
                            to directory: URL) throws {
        try ModelStore.save(model, tokenizer: tokenizer, to: directory, metadata: metadata)
        try writeFileAtomically(Data(config.toml.utf8), to: directory.appendingPathComponent(configFile))
    }

    /// The directory, inside `RUN_DIR/base`, of the checkpoints of the warm start of `recipe`:
    /// `warm-start-` and the first 12 hex digits of the recipe's SHA-256.
    static func warmStartDirectory(_ recipe: String) -> String {
        "warm-start-" + String(hexString(SHA256.hash(data: Data(recipe.utf8))).prefix(12))
    }

    /// The metadata key of the settings a kept warm start was made with.
    static let recipeKey = "warm_start"

    /// Everything the warm start's weights depend on, so that a kept one is reused only when it
    /// matches (the tokenizer is compared on its own). The logging and evaluation cadence are
    /// left out: they do not change the weights.
    static func warmStartRecipe(_ config: RunConfig, task: any RewardTask) -> String {
        "\(modelRecipe(config.model)) \(sftRecipe(config.sft)) task \(task.name) train_size \(config.task.trainSize) seed \(config.train.seed) "
            + "completion \(config.rollout.maxCompletionLength) micro-batch \(config.train.microBatchSize) "
            + "adamw \(config.optim.weightDecay) \(config.optim.adamBeta1) \(config.optim.adamBeta2) \(config.optim.adamEpsilon) "
            + "clip \(config.optim.maxGradNorm)"
    }

    /// The `model` keys that shape the warm start, in the words of the recipes kept before the
    /// section had LoRA keys (Swift's description of the section then); the LoRA keys and the
    /// dtype concern RL only.
    private static func modelRecipe(_ model: ModelSettings) -> String {
        "ModelSettings(preset: \"\(model.preset)\", path: \"\(model.path)\", tokenizer: \"\(model.tokenizer)\", "
            + "vocabSize: \(model.vocabSize), dModel: \(model.dModel), nLayers: \(model.nLayers), nHeads: \(model.nHeads), "
            + "nKVHeads: \(model.nKVHeads), mlpHidden: \(model.mlpHidden), maxSeq: \(model.maxSeq))"
    }

    /// The `sft` keys that change the weights, in the words of the recipes kept before the
    /// section had cadence keys (Swift's description of the section then), so that those warm
    /// starts are still reused.
    private static func sftRecipe(_ sft: SFTSettings) -> String {
        "SFTSettings(steps: \(sft.steps), batchSize: \(sft.batchSize), learningRate: \(sft.learningRate), "
            + "warmupSteps: \(sft.warmupSteps), lrSchedulerType: RunConfig.LRSchedule.\(sft.lrSchedulerType))"
    }

    private static func describe(_ config: ModelConfig) -> String {
        let parameters = ParameterLayout(config: config).totalCount
        return String(format: "d_model %d, %d layers, vocab %d, max_seq %d, %.2fM parameters",
                      config.dModel, config.nLayers, config.vocabSize, config.maxSeq, Double(parameters) / 1e6)
    }
}
