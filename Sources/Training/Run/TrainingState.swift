import Foundation
import RunConfig

/// The contents of a checkpoint's `state.json`: everything besides weights and Adam moments that
/// a resumed run needs to continue exactly where the checkpoint was taken.
///
/// There are no generator states to save: every random draw is keyed by (seed, step, prompt,
/// response, sample, purpose), so the step number is the whole random state.
public struct TrainingState: CheckpointStateJSON, Codable, Sendable, Equatable {
    /// The layout of this file; readers refuse any other.
    public static let currentFormat = "bgpo-rl-state-1"
    /// The program version written into every checkpoint.
    public static let programVersion = "0.1.0"

    /// ``currentFormat`` when written by this program.
    public var format: String
    /// RL steps completed.
    public var step: Int
    /// Optimiser updates applied (AdamW's bias-correction counter).
    public var updates: Int
    /// Training prompts consumed: `step * prompts_per_step`.
    public var promptsConsumed: Int
    /// The run seed.
    public var seed: Int
    /// The number of ranks that wrote the checkpoint.
    public var worldSize: Int
    /// The resolved configuration, as TOML.
    public var config: String
    /// The configuration's hash (`RunConfig.hash`).
    public var configHash: String
    /// The version of the program that wrote the checkpoint.
    public var programVersion: String
    /// How the random streams continue.
    public var randomState: String
    /// With LoRA: the SHA-256 of the frozen base weights the adapters were trained over (as stored,
    /// F32 or bfloat16), so that a resume over another base is refused; absent for full fine-tuning.
    public var baseDigest: String?

    /// The state after `step` steps and `updates` updates of a run with `config` on `worldSize` ranks.
    public init(step: Int, updates: Int, config: RunConfig, worldSize: Int) {
        format = Self.currentFormat
        self.step = step
        self.updates = updates
        promptsConsumed = step * config.train.promptsPerStep
        seed = config.train.seed
        self.worldSize = worldSize
        self.config = config.toml
        configHash = config.hash
        programVersion = Self.programVersion
        randomState = "counter-based: every draw is keyed by (seed, step, prompt, response, sample, purpose)"
    }

    enum CodingKeys: String, CodingKey {
        case format, step, updates, seed, config
        case promptsConsumed = "prompts_consumed"
        case worldSize = "world_size"
        case configHash = "config_hash"
        case programVersion = "program_version"
        case randomState = "random_state"
        case baseDigest = "base_digest"
    }

    /// Reads `state.json` bytes; `path` names the file in errors.
    public init(json: Data, path: String) throws {
        do {
            self = try JSONDecoder().decode(TrainingState.self, from: json)
        } catch {
            throw TrainingError.badState(path: path, reason: "state.json cannot be read: \(error)")
        }
        guard format == Self.currentFormat else {
            throw TrainingError.badState(path: path, reason: "state.json has format \"\(format)\", expected \"\(Self.currentFormat)\"")
        }
    }

    /// The saved configuration.
    public func runConfig(path: String) throws -> RunConfig {
        try RunConfig().applying(toml: config, source: "\(path) state.json")
    }

    /// The most optimizer updates a checkpoint may count: more than any run takes, small enough
    /// that the counter cannot overflow.
    public static let maxUpdates = Int(Int32.max)

    /// Checks the counters against each other, against the checkpoint's manifest (whose step
    /// matches the directory's name) and against the saved configuration, which must be the one
    /// its hash names; returns that configuration. A state.json that fails is `badState` (exit
    /// 74): forged or damaged, it would resume at the wrong step or claim a finished run.
    public func checked(manifestStep: Int, path: String) throws -> RunConfig {
        func bad(_ reason: String) -> TrainingError { .badState(path: path, reason: reason) }
        guard step >= 0 else { throw bad("step \(step) is negative") }
        guard step == manifestStep else {
            throw bad("step \(step) disagrees with the checkpoint's manifest and directory (step \(manifestStep))")
        }
        guard updates >= step, updates <= Self.maxUpdates else {
            throw bad("updates \(updates) is not between the step \(step) (one update at least per step) and \(Self.maxUpdates)")
        }
        guard worldSize >= 1 else { throw bad("world_size \(worldSize) is not a number of ranks") }
        let saved = try savedConfiguration(toml: config, hash: configHash, path: path)
        guard seed == saved.train.seed else { throw bad("seed \(seed) differs from the saved train.seed \(saved.train.seed)") }
        guard step <= saved.train.maxSteps else {
            throw bad("step \(step) is past the saved train.max_steps \(saved.train.maxSteps), where the run stops")
        }
        return saved
    }
}

/// The configuration a checkpoint's state.json saved as `text`, checked against its `config_hash`;
/// a mismatch is `badState` (exit 74). The hash is taken over the keys the text holds, as its
/// writer took it: a checkpoint of an older bgpo lacks the keys added since, which loading fills
/// with their defaults.
func savedConfiguration(toml text: String, hash: String, path: String) throws -> RunConfig {
    let source = "\(path) state.json"
    let saved = try RunConfig().applying(toml: text, source: source)
    let written = try RunConfig.hash(ofTOML: text, source: source)
    guard written == hash else {
        throw TrainingError.badState(path: path, reason: "config_hash \(hash) is not the hash of the saved configuration (\(written))")
    }
    return saved
}

/// The contents of a checkpoint's `state.json` (``TrainingState``, ``SupervisedState``).
public protocol CheckpointStateJSON: Encodable {}

extension CheckpointStateJSON {
    /// The JSON bytes of `state.json`: pretty-printed, keys sorted.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
