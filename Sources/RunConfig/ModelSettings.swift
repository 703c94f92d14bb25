import DLLM

/// The model to train: a `DLLM.ModelConfig` preset with optional size overrides, or base weights.
public struct ModelSettings: Codable, Equatable, Sendable {
    /// Architecture preset name (`DLLM.ModelConfig.presetNames`: tiny, small, large, llada-8b). Default "small".
    public var preset = "small"
    /// Base weights to start from (a safetensors file with LLaDA tensor names); "" (the default)
    /// means none: the run initialises the model from `train.seed` and runs the `sft` warm start.
    public var path = ""
    /// Tokenizer id layout. Default "char-v1" (99 ids: 0 EOS/pad, 1 mask, 2 BOS).
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
    /// LoRA rank r (PEFT's `r`): RL trains adapters of this rank over frozen base weights; 0
    /// (default) trains every weight (full fine-tuning).
    public var loraRank = 0
    /// LoRA's alpha: the adapters' output is scaled by alpha / r. Default 64 (d1's).
    public var loraAlpha = 64.0
    /// The adapted linear layers of every block, by LLaDA's module names (q_proj, k_proj, v_proj,
    /// attn_out, ff_proj, up_proj, ff_out). Default d1's targets as they apply to LLaDA: q_proj,
    /// k_proj, v_proj, up_proj.
    public var loraTargetModules = LoRATarget.allCases.filter(LoRAConfig.d1Targets.contains)
    /// A PEFT adapter directory (as `peft` or `bgpo export peft` writes it) whose adapters RL starts
    /// from; its r, lora_alpha and targets must be lora_rank, lora_alpha and lora_target_modules.
    /// "" (default): PEFT's initialisation from train.seed.
    public var loraPath = ""
    /// How the frozen base weights under LoRA are stored: f32 (default) or bf16 (half the memory;
    /// needs lora_rank > 0).
    public var dtype = WeightType.f32

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
        case loraRank = "lora_rank"
        case loraAlpha = "lora_alpha"
        case loraTargetModules = "lora_target_modules"
        case loraPath = "lora_path"
        case dtype
    }

    /// The LoRA adapters these settings ask for, or nil for full fine-tuning (`lora_rank` 0).
    public var lora: LoRAConfig? {
        loraRank > 0 ? LoRAConfig(rank: loraRank, alpha: loraAlpha, targetModules: Set(loraTargetModules)) : nil
    }
}

extension ModelSettings {
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
