import DLLM
import Foundation
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

extension ObjectiveSettings {
    /// How the masked samples of a response are drawn: `estimator`, each term divided by the
    /// response length when `normalize_by_length`.
    public func likelihoodMasking(maskTokenID: Int32, seed: UInt64) -> LikelihoodMasking {
        LikelihoodMasking(estimator: estimator, normalizedByLength: normalizeByLength, samples: mcNum,
                          maskTokenID: maskTokenID, seed: seed)
    }
}
