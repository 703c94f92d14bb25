import Foundation
import RunConfig
import Testing
import Training

/// An RL checkpoint's state.json across bgpo versions: one written by an older bgpo, whose
/// configuration lacks keys added since, still resumes; a configuration changed after writing
/// is still refused (exit 74).
@Suite struct TrainingStateTests {
    /// The state.json of a Sudoku study run (BGPO n_t 32, step 30) written by bgpo d3ade1c, before
    /// `rollout.compute_dtype` existed.
    static func olderState() throws -> Data {
        let url = try #require(Bundle.module.url(forResource: "rl-state-d3ade1c", withExtension: "json", subdirectory: "Fixtures"))
        return try Data(contentsOf: url)
    }

    @Test func aStateOfAnOlderBgpoReadsWithTheNewKeysAtTheirDefaults() throws {
        let state = try TrainingState(json: try Self.olderState(), path: "state.json")
        #expect(!state.config.contains("compute_dtype"))
        let config = try state.checked(manifestStep: 30, path: "state.json")
        #expect(state.step == 30 && config.objective.mcNum == 32 && config.task.name == "sudoku")
        #expect(config.rollout.computeDtype == .f32)
    }

    @Test func aStateOfThisBgpoReadsBack() throws {
        let config = try tinyRunConfig(overrides: ["train.max_steps=8"])
        let state = TrainingState(step: 3, updates: 3, config: config, worldSize: 2)
        let read = try TrainingState(json: try state.encoded(), path: "state.json")
        #expect(try read.checked(manifestStep: 3, path: "state.json").hash == config.hash)
    }

    @Test func aConfigurationChangedAfterWritingIsRefused() throws {
        var state = try TrainingState(json: try Self.olderState(), path: "state.json")
        state.config = state.config.replacingOccurrences(of: "mc_num = 32", with: "mc_num = 16")
        let error = try #require(throws: TrainingError.self) {
            _ = try state.checked(manifestStep: 30, path: "state.json")
        }
        #expect(error.exitCode == 74 && error.description.contains("is not the hash of the saved configuration"), "\(error)")
    }
}
