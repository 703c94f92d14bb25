import DLLM
import Foundation

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

    /// `shape` with every non-zero size override (d_model, n_layers, heads, kv heads,
    /// mlp_hidden, max_seq) applied; the vocabulary is the caller's.
    func applyingSizeOverrides(to shape: ModelConfig) -> ModelConfig {
        var shape = shape
        if dModel > 0 { shape.dModel = dModel }
        if nLayers > 0 { shape.nLayers = nLayers }
        if nHeads > 0 { shape.nHeads = nHeads }
        if nKVHeads > 0 { shape.nKVHeads = nKVHeads }
        if mlpHidden > 0 { shape.mlpHidden = mlpHidden }
        if maxSeq > 0 { shape.maxSeq = maxSeq }
        return shape
    }

    /// The model shape these settings describe: the preset with every non-zero override applied,
    /// the vocabulary and special tokens of `tokenizer`.
    public func modelConfig(tokenizer: any Tokenizer) throws -> ModelConfig {
        var config = try ModelConfig.preset(preset)
        config.vocabSize = vocabSize > 0 ? vocabSize : tokenizer.vocabSize
        config = applyingSizeOverrides(to: config)
        config.maskTokenID = tokenizer.maskTokenID
        config.eosTokenID = tokenizer.eosTokenID
        config.padTokenID = tokenizer.padTokenID
        try config.validate()
        return config
    }
}

extension RolloutSettings {
    /// The sampler options of training rollouts.
    public var rolloutOptions: SamplingOptions {
        SamplingOptions(generationLength: maxCompletionLength, blockLength: blockLength, steps: diffusionSteps,
                        temperature: temperature, remasking: DLLM.Remasking(rawValue: remasking.rawValue)!,
                        cfgScale: cfgScale)
    }

    /// The sampler options of evaluation: `eval_temperature`, and `eval_diffusion_steps` (0: one
    /// token per step).
    public var evaluationOptions: SamplingOptions {
        SamplingOptions(generationLength: maxCompletionLength, blockLength: blockLength,
                        steps: evalDiffusionSteps > 0 ? evalDiffusionSteps : maxCompletionLength,
                        temperature: evalTemperature, remasking: DLLM.Remasking(rawValue: remasking.rawValue)!,
                        cfgScale: cfgScale)
    }
}

extension ObjectiveSettings {
    /// How the masked samples of a response are drawn: `estimator` with, when
    /// `normalize_by_length`, each term divided by the response length.
    public func likelihoodMasking(maskTokenID: Int32, seed: UInt64) -> LikelihoodMasking {
        let kind: DLLM.ELBOEstimator = switch (estimator, normalizeByLength) {
        case (.stratified, true): .stratifiedNormalized
        case (.stratified, false): .stratified
        case (.continuous, _): .continuous
        }
        return LikelihoodMasking(estimator: kind, samples: mcNum, maskTokenID: maskTokenID, seed: seed)
    }

    /// The masked copies of `response`, with the continuous estimator's terms divided by the
    /// response length when `normalize_by_length` (the stratified one is normalised by its kind).
    func likelihoodSamples(_ masking: LikelihoodMasking, prompt: [Int32], response: [Int32], step: Int,
                           promptIndex: UInt64, responseIndex: Int) -> [MaskedSample] {
        var samples = masking.samples(prompt: prompt, response: response, step: UInt64(step), promptIndex: promptIndex,
                                      responseIndex: UInt64(responseIndex))
        if estimator == .continuous, normalizeByLength {
            let scale = 1 / Float(response.count)
            for i in samples.indices {
                samples[i].weights = samples[i].weights.map { $0 * scale }
            }
        }
        return samples
    }
}
