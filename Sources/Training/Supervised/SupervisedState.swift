import Foundation
import RunConfig

/// The contents of a `bgpo sft` checkpoint's `state.json`: besides the weights and Adam moments,
/// everything a resumed run needs to continue exactly (the masks are keyed by the update number
/// and the problems by their stream index, so these counters are the whole random state).
public struct SupervisedState: CheckpointStateJSON, Codable, Sendable, Equatable {
    /// The layout of this file; readers refuse any other.
    public static let currentFormat = "bgpo-sft-state-1"

    /// ``currentFormat`` when written by this program.
    public var format: String
    /// Updates the model has had, a continued model's earlier ones included (the checkpoint's name).
    public var step: Int
    /// Steps of this run done, out of `sft.steps`.
    public var runSteps: Int
    /// Optimiser updates of this run (AdamW's bias-correction counter and the schedule's position).
    public var updates: Int
    /// The next training-stream index.
    public var nextProblem: UInt64
    /// Problems skipped so far by this run.
    public var skipped: Int
    /// The number of ranks that wrote the checkpoint.
    public var worldSize: Int
    /// The resolved configuration, as TOML.
    public var config: String
    /// The configuration's hash (`RunConfig.hash`).
    public var configHash: String
    /// The version of the program that wrote the checkpoint.
    public var programVersion: String

    /// The state of `config`'s run after `runSteps` of its steps.
    public init(step: Int, runSteps: Int, updates: Int, nextProblem: UInt64, skipped: Int, config: RunConfig, worldSize: Int) {
        format = Self.currentFormat
        self.step = step
        self.runSteps = runSteps
        self.updates = updates
        self.nextProblem = nextProblem
        self.skipped = skipped
        self.worldSize = worldSize
        self.config = config.toml
        configHash = config.hash
        programVersion = TrainingState.programVersion
    }

    enum CodingKeys: String, CodingKey {
        case format, step, updates, skipped, config
        case runSteps = "run_steps"
        case nextProblem = "next_problem"
        case worldSize = "world_size"
        case configHash = "config_hash"
        case programVersion = "program_version"
    }

    /// Reads `state.json` bytes, checks the counters against each other, the checkpoint's manifest
    /// step and the saved configuration (whose hash must be the recorded one), and returns the state
    /// with that configuration. `path` names the file in errors (``TrainingError/badState(path:reason:)``,
    /// exit 74: a forged or damaged state would resume at the wrong step).
    public static func read(json: Data, manifestStep: Int, path: String) throws -> (state: SupervisedState, config: RunConfig) {
        func bad(_ reason: String) -> TrainingError { .badState(path: path, reason: reason) }
        /// The format alone, read first: another program's or `bgpo train`'s state is named as such.
        struct Format: Decodable { var format: String }
        let state: SupervisedState
        do {
            let format = try JSONDecoder().decode(Format.self, from: json).format
            guard format == currentFormat else {
                throw bad("state.json has format \"\(format)\", expected \"\(currentFormat)\" (a bgpo sft checkpoint)")
            }
            state = try JSONDecoder().decode(SupervisedState.self, from: json)
        } catch let error as TrainingError {
            throw error
        } catch {
            throw bad("state.json cannot be read: \(error)")
        }
        guard state.step == manifestStep else {
            throw bad("step \(state.step) disagrees with the checkpoint's manifest and directory (step \(manifestStep))")
        }
        guard state.runSteps >= 1, state.runSteps <= state.step, state.updates == state.runSteps,
              state.skipped >= 0, state.worldSize >= 1 else {
            throw bad("inconsistent counters: step \(state.step), run_steps \(state.runSteps), updates \(state.updates), "
                      + "skipped \(state.skipped), world_size \(state.worldSize)")
        }
        let saved = try savedConfiguration(toml: state.config, hash: state.configHash, path: path)
        guard state.runSteps <= saved.sft.steps else {
            throw bad("run_steps \(state.runSteps) is past the saved sft.steps \(saved.sft.steps)")
        }
        return (state, saved)
    }
}
