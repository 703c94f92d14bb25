/// The model to train: a `DLLM.ModelConfig` preset with optional size overrides, or base weights.
public struct ModelSettings: Codable, Equatable, Sendable {
    /// Architecture preset name (`DLLM.ModelConfig.presetNames`: tiny, small, large, llada-8b). Default "small".
    public var preset = "small"
    /// Base weights to start from (a safetensors file with LLaDA tensor names); "" (the default)
    /// means none: the run initialises the model from `train.seed` and runs the `sft` warm start.
    public var path = ""
    /// Tokenizer id layout. Default "char-v1" (TEAM.md: 99 ids, 0 EOS/pad, 1 mask, 2 BOS).
    public var tokenizer = "char-v1"
    /// Vocabulary size override, in tokens; 0 (default) = the tokenizer's size (99 for char-v1).
    public var vocabSize = 0
    /// Hidden width override; 0 (default) = the preset's.
    public var dModel = 0
    /// Transformer block count override; 0 (default) = the preset's.
    public var nLayers = 0
    /// Attention head count override; 0 (default) = the preset's.
    public var nHeads = 0
    /// Key/value head count override (grouped attention); 0 (default) = the preset's.
    public var nKVHeads = 0
    /// SwiGLU hidden width override; 0 (default) = the preset's.
    public var mlpHidden = 0
    /// Maximum sequence length override (prompt + completion), in tokens; 0 (default) = the preset's.
    public var maxSeq = 0

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case preset, path, tokenizer
        case vocabSize = "vocab_size"
        case dModel = "d_model"
        case nLayers = "n_layers"
        case nHeads = "n_heads"
        case nKVHeads = "n_kv_heads"
        case mlpHidden = "mlp_hidden"
        case maxSeq = "max_seq"
    }
}
