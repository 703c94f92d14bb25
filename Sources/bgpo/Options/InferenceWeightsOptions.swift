import ArgumentParser
import DLLM
import Foundation
import ModelFiles
import RunConfig
import Training

/// How an inference command holds the weights (`--dtype f32|bf16`) and computes with them
/// (`--compute-dtype f32|bf16`).
struct InferenceWeightsOptions: ParsableArguments {
    @Option(help: "Weights in memory: f32, or bf16 for half the memory (inference only; F16 files need f32).")
    var dtype: WeightType = .f32

    @Option(help: ArgumentHelp("Matrix products: f32, or bf16 (approximate: bfloat16 inputs, F32 sums; needs AVX512_BF16), "
                               + "as rollout.compute_dtype runs rollouts."))
    var computeDtype: ComputeType = .f32

    /// Loads the model directory at `path` and a runner over its weights in ``dtype``, computing in ``computeDtype``.
    func load(_ path: String) throws -> (runner: ModelRunner, tokenizer: any Tokenizer, description: ModelDescription) {
        let url = URL(fileURLWithPath: path)
        let (model, tokenizer, description): (any ForwardModel, any Tokenizer, ModelDescription) = switch dtype {
        case .f32: try ModelStore.load(from: url)
        case .bf16: try ModelStore.loadBF16(from: url)
        }
        return (ModelRunner(model: try computeDtype.forwardModel(model, key: "--compute-dtype")), tokenizer, description)
    }
}

/// The storage of weights in memory, as a command-line value (`--dtype f32|bf16`).
extension WeightType: ExpressibleByArgument {}

/// The precision of matrix products, as a command-line value (`--compute-dtype f32|bf16`).
extension ComputeType: ExpressibleByArgument {}
