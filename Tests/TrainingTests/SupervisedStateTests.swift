import Foundation
import RunConfig
import Testing
import Training

/// A `bgpo sft` checkpoint's state.json: written and read back whole; a forged or damaged one is
/// refused (exit 74) naming what is wrong, before a resume could start at the wrong step.
@Suite struct SupervisedStateTests {
    static func state() throws -> SupervisedState {
        let config = try tinyRunConfig(overrides: ["sft.steps=8"])
        return SupervisedState(step: 105, runSteps: 5, updates: 5, nextProblem: (1 << 32) + 40, skipped: 2, config: config,
                               worldSize: 2)
    }

    @Test func aStateReadsBackAsWritten() throws {
        let state = try Self.state()
        let (read, config) = try SupervisedState.read(json: try state.encoded(), manifestStep: 105, path: "state.json")
        #expect(read == state)
        #expect(config.hash == state.configHash && config.sft.steps == 8)
    }

    @Test(arguments: [
        ("format", "format"), ("manifest", "disagrees with the checkpoint's manifest"), ("updates", "inconsistent counters"),
        ("hash", "is not the hash of the saved configuration"), ("past", "past the saved sft.steps"), ("json", "cannot be read"),
    ])
    func aDamagedStateIsRefusedNamingTheProblem(damage: String, expected: String) throws {
        var state = try Self.state()
        var manifestStep = 105
        switch damage {
        case "format": state.format = "bgpo-rl-state-1"
        case "manifest": manifestStep = 100
        case "updates": state.updates = 4
        case "hash": state.configHash = String(repeating: "0", count: 64)
        case "past": (state.runSteps, state.updates) = (9, 9)
        default: break
        }
        let json = damage == "json" ? Data("{\"step\": 105".utf8) : try state.encoded()
        let error = try #require(throws: TrainingError.self) {
            _ = try SupervisedState.read(json: json, manifestStep: manifestStep, path: "state.json")
        }
        #expect(error.exitCode == 74 && error.description.contains(expected), "\(error)")
    }
}
