import ArgumentParser
import DLLM

/// Decoding knobs shared by `bgpo sft` (its evaluations), `bgpo sample` and `bgpo eval`.
///
/// Unset values come from the model's metadata (what `bgpo sft` trained it for), else defaults.
struct DecodingOptions: ParsableArguments {
    @Option(help: "Generated tokens L; a multiple of --block-length (default: the model's training length, else 32).")
    var generationLength: Int?

    @Option(help: "Tokens per semi-autoregressive block (default: the model's, else 32).")
    var blockLength: Int?

    @Option(help: "Diffusion steps over the whole response; a multiple of the block count (default: L, one token per step).")
    var diffusionSteps: Int?

    @Option(help: "Sampling temperature; 0 decodes greedily.")
    var temperature = 0.0

    @Option(help: "Remasking rule: low_confidence or random.")
    var remasking: String = DLLM.Remasking.lowConfidence.rawValue

    @Option(help: "Classifier-free guidance scale w (0: off).")
    var cfgScale = 0.0

    @Option(help: ArgumentHelp("Parallel decoding (approximate): commit every proposal more confident than this, at least one "
                               + "per step, instead of the --diffusion-steps schedule; in (0, 1].", valueName: "p"))
    var confidenceThreshold: Double?

    @Flag(help: ArgumentHelp("Block-wise caching (approximate): a block's later steps recompute its positions only, "
                             + "over the other positions' keys and values from the block's first step."))
    var blockCache = false

    /// The sampling options, filling gaps from `metadata` (keys `generation_length`, `block_length`).
    func samplingOptions(metadata: [String: String] = [:]) throws -> SamplingOptions {
        guard let rule = DLLM.Remasking(rawValue: remasking) else {
            throw ValidationError("--remasking must be one of \(DLLM.Remasking.allCases.map(\.rawValue).joined(separator: ", ")), got '\(remasking)'")
        }
        let length = generationLength ?? metadata["generation_length"].flatMap(Int.init) ?? 32
        let block = blockLength ?? metadata["block_length"].flatMap(Int.init) ?? min(32, length)
        let options = SamplingOptions(generationLength: length, blockLength: block, steps: diffusionSteps ?? length,
                                      temperature: temperature, remasking: rule, cfgScale: cfgScale,
                                      confidenceThreshold: confidenceThreshold, blockCache: blockCache)
        try options.validate()
        return options
    }
}
