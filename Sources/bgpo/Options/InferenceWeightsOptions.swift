import ArgumentParser
import DLLM
import Foundation
import ModelFiles
import RunConfig

/// How an inference command holds the weights: `--dtype f32` (default) or `bf16`.
struct InferenceWeightsOptions: ParsableArguments {
    @Option(help: "Weights in memory: f32, or bf16 for half the memory (inference only; F16 files need f32).")
    var dtype: WeightType = .f32

    /// Loads the model directory at `path` and a runner over its weights in ``dtype``.
    func load(_ path: String) throws -> (runner: ModelRunner, tokenizer: any Tokenizer, description: ModelDescription) {
        let url = URL(fileURLWithPath: path)
        switch dtype {
        case .f32:
            let (model, tokenizer, description) = try ModelStore.load(from: url)
            return (ModelRunner(model: model), tokenizer, description)
        case .bf16:
            let (model, tokenizer, description) = try ModelStore.loadBF16(from: url)
            return (ModelRunner(model: model), tokenizer, description)
        }
    }
}

/// The storage of weights in memory, as a command-line value (`--dtype f32|bf16`).
extension WeightType: ExpressibleByArgument {}
