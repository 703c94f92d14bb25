import Cluster
import DLLM
import Foundation
import Testing
import Training

@Test func theWarmStartIsKeptAndReusedOnlyForTheSameSettings() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rl-base-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    func prepare(_ overrides: [String]) throws -> (Model, [String]) {
        let config = try tinyRunConfig(overrides: ["run.output_dir=\(directory.path)", "sft.steps=2", "sft.batch_size=3",
                                                   "sft.warmup_steps=1"] + overrides)
        var lines: [String] = []
        let model = try BaseModel.prepare(config: config, task: DigitTask(), tokenizer: CharTokenizer(),
                                          communicator: SingleProcessCommunicator()) { lines.append($0) }
        return (model, lines)
    }
    let (first, firstLines) = try prepare([])
    #expect(firstLines.contains { $0.hasPrefix("sft step 2/2") })
    let initial = try tinyModel(try tinyRunConfig())
    #expect(Array(first.parameters.buffer) != Array(initial.parameters.buffer), "the warm start trained the model")

    let (again, againLines) = try prepare(["optim.learning_rate=0.5"])
    #expect(againLines.contains { $0.contains("the warm start kept in") })
    #expect(!againLines.contains { $0.hasPrefix("sft step") })
    #expect(Array(again.parameters.buffer) == Array(first.parameters.buffer))

    let (_, redoLines) = try prepare(["sft.learning_rate=0.01"])
    #expect(redoLines.contains { $0.contains("made with other settings") })
    #expect(redoLines.contains { $0.hasPrefix("sft step 2/2") })
}
