import Base
import DLLM
import Foundation
import Kernels
import ModelFiles
import RunConfig

extension ModelSettings {
    /// The run's tokenizer: a built-in one by name, or for "hf-bpe" the tokenizer files of the
    /// model directory `path` (an imported Hugging Face model).
    public func makeTokenizer() throws -> any Tokenizer {
        guard tokenizer == BPETokenizer.identifier else { return try TokenizerRegistry.tokenizer(identifier: tokenizer) }
        guard !path.isEmpty else {
            throw ConfigError.invalidValue(key: "model.tokenizer", value: tokenizer,
                                           expected: "a built-in tokenizer (char-v1), or set model.path to the model "
                                               + "directory whose tokenizer.json \(tokenizer) reads")
        }
        return try ModelStore.readDescription(from: URL(fileURLWithPath: path, isDirectory: true)).tokenizer
    }
}

extension RolloutSettings {
    /// The sampler options of training rollouts.
    public var rolloutOptions: SamplingOptions {
        SamplingOptions(generationLength: maxCompletionLength, blockLength: blockLength, steps: diffusionSteps,
                        temperature: temperature, remasking: remasking, cfgScale: cfgScale,
                        confidenceThreshold: confidenceThreshold > 0 ? confidenceThreshold : nil, blockCache: blockCache)
    }

    /// The sampler options of evaluation: `eval_temperature`, and `eval_diffusion_steps` (0: one
    /// token per step).
    public var evaluationOptions: SamplingOptions {
        SamplingOptions(generationLength: maxCompletionLength, blockLength: blockLength,
                        steps: evalDiffusionSteps > 0 ? evalDiffusionSteps : maxCompletionLength,
                        temperature: evalTemperature, remasking: remasking,
                        cfgScale: cfgScale)
    }
}

extension ComputeType {
    /// `model` as a pass in this precision runs it, over a ``DLLM/PackedComputeModel`` snapshot of
    /// its current weights where one applies (make a new one after they change): for `f32`, a full
    /// ``DLLM/Model`` packed for F32 products on an AVX-512 CPU (the same products, faster; four
    /// more bytes per parameter while it lives), any other model itself; for `bf16`, the model
    /// packed for bfloat16 products.
    ///
    /// - Throws: ``ConfigError/invalidValue(key:value:expected:)`` naming `key` as ``check(_:key:)`` does.
    public func forwardModel(_ model: any ForwardModel, key: String) throws -> any ForwardModel {
        try check(model, key: key)
        switch (self, model) {
        case (.f32, let full as Model) where ProductPrecision.f32.isSupported:
            return PackedComputeModel(model: full, precision: .f32)
        case (.f32, _): return model
        case (.bf16, let full as Model): return PackedComputeModel(model: full, precision: .bf16)
        case (.bf16, let stored as BF16Model): return PackedComputeModel(bf16: stored)
        case (.bf16, _): preconditionFailure("ComputeType.forwardModel: check(_:key:) let \(type(of: model)) through")
        }
    }

    /// Throws ``ConfigError/invalidValue(key:value:expected:)`` naming `key` when this precision
    /// cannot run `model` here: `bf16` needs a CPU with AVX512_BF16 and a full model (a ``DLLM/Model``
    /// or ``DLLM/BF16Model``, not LoRA adapters).
    public func check(_ model: any ForwardModel, key: String) throws {
        guard self == .bf16 else { return }
        let cpu = CPUInfo.current
        guard ProductPrecision.bf16.isSupported else {
            throw ConfigError.invalidValue(key: key, value: "\"bf16\"",
                                           expected: "\"f32\" on this CPU (\(cpu.model), \(cpu.features)): bf16 products need AVX512_BF16")
        }
        guard model is Model || model is BF16Model else {
            throw ConfigError.invalidValue(key: key, value: "\"bf16\"",
                                           expected: "\"f32\" with LoRA adapters: bf16 products pack a full model's matrices")
        }
    }
}

extension ObjectiveSettings {
    /// How the masked samples of a response are drawn: `estimator`, each term divided by the
    /// response length when `normalize_by_length`.
    public func likelihoodMasking(maskTokenID: Int32, seed: UInt64) -> LikelihoodMasking {
        LikelihoodMasking(estimator: estimator, normalizedByLength: normalizeByLength, samples: mcNum,
                          maskTokenID: maskTokenID, seed: seed)
    }
}
