import ArgumentParser
import DLLM
import Foundation
import ModelFiles

/// How an inference command holds the weights: `--dtype f32` (default) or `bf16`.
struct InferenceWeightsOptions: ParsableArguments {
    /// The element types weights can have in memory.
    enum DType: String, ExpressibleByArgument, CaseIterable {
        case f32, bf16
    }

    @Option(help: "Weights in memory: f32, or bf16 for half the memory (inference only; F16 files need f32).")
    var dtype: DType = .f32

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
