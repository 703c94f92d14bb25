import DLLM
import Foundation

/// A LLaDA `config.json`: the fields of LLaDA's modelling code (OLMo's `ModelConfig` names) that
/// decide the architecture, read and written with their Hugging Face names.
///
/// Reading keeps every field optional so that absence and unsupported values can be told apart
/// and named; fields that only matter for training in PyTorch (dropouts, init, flash attention)
/// are ignored. `bgpo_tokenizer` is bgpo's own: the built-in tokenizer of a model exported
/// without a `tokenizer.json`.
struct LLaDAConfigFile: Codable, Equatable {
    var architectures: [String]?
    var modelType: String?
    var blockType: String?
    var dModel: Int?
    var nLayers: Int?
    var nHeads: Int?
    var nKVHeads: Int?
    var multiQueryAttention: Bool?
    var mlpHiddenSize: Int?
    var mlpRatio: Double?
    var vocabSize: Int?
    var embeddingSize: Int?
    var maxSequenceLength: Int?
    var rope: Bool?
    var ropeTheta: Double?
    var rmsNormEps: Double?
    var layerNormType: String?
    var layerNormWithAffine: Bool?
    var attentionLayerNorm: Bool?
    var activationType: String?
    var alibi: Bool?
    var includeBias: Bool?
    var includeQKVBias: Bool?
    var biasForLayerNorm: Bool?
    var weightTying: Bool?
    var scaleLogits: Bool?
    var inputEmbNorm: Bool?
    var clipQkv: Double?
    var blockGroupSize: Int?
    var maskTokenID: Int?
    var eosTokenID: Int?
    var padTokenID: Int?
    var useCache: Bool?
    var torchDtype: String?
    var bgpoTokenizer: String?

    enum CodingKeys: String, CodingKey {
        case architectures
        case modelType = "model_type"
        case blockType = "block_type"
        case dModel = "d_model"
        case nLayers = "n_layers"
        case nHeads = "n_heads"
        case nKVHeads = "n_kv_heads"
        case multiQueryAttention = "multi_query_attention"
        case mlpHiddenSize = "mlp_hidden_size"
        case mlpRatio = "mlp_ratio"
        case vocabSize = "vocab_size"
        case embeddingSize = "embedding_size"
        case maxSequenceLength = "max_sequence_length"
        case rope
        case ropeTheta = "rope_theta"
        case rmsNormEps = "rms_norm_eps"
        case layerNormType = "layer_norm_type"
        case layerNormWithAffine = "layer_norm_with_affine"
        case attentionLayerNorm = "attention_layer_norm"
        case activationType = "activation_type"
        case alibi
        case includeBias = "include_bias"
        case includeQKVBias = "include_qkv_bias"
        case biasForLayerNorm = "bias_for_layer_norm"
        case weightTying = "weight_tying"
        case scaleLogits = "scale_logits"
        case inputEmbNorm = "input_emb_norm"
        case clipQkv = "clip_qkv"
        case blockGroupSize = "block_group_size"
        case maskTokenID = "mask_token_id"
        case eosTokenID = "eos_token_id"
        case padTokenID = "pad_token_id"
        case useCache = "use_cache"
        case torchDtype = "torch_dtype"
        case bgpoTokenizer = "bgpo_tokenizer"
    }

    /// The file's name in a Hugging Face model directory.
    static let fileName = "config.json"

    /// The complete configuration of `config` (LLaDA's fixed architecture flags included).
    init(config: ModelConfig, dtype: String, tokenizer: String?) {
        architectures = ["LLaDAModelLM"]
        modelType = "llada"
        blockType = "llama"
        dModel = config.dModel
        nLayers = config.nLayers
        nHeads = config.nHeads
        nKVHeads = config.nKVHeads
        mlpHiddenSize = config.mlpHidden
        mlpRatio = Double(config.mlpHidden) / Double(config.dModel)
        vocabSize = config.vocabSize
        embeddingSize = config.vocabSize
        maxSequenceLength = config.maxSeq
        rope = true
        ropeTheta = config.ropeTheta
        rmsNormEps = Double("\(config.normEps)")
        layerNormType = "rms"
        layerNormWithAffine = true
        attentionLayerNorm = false
        activationType = "silu"
        alibi = false
        includeBias = false
        biasForLayerNorm = false
        weightTying = false
        scaleLogits = false
        inputEmbNorm = false
        blockGroupSize = 1
        maskTokenID = Int(config.maskTokenID)
        eosTokenID = Int(config.eosTokenID)
        padTokenID = Int(config.padTokenID)
        useCache = false
        torchDtype = dtype
        bgpoTokenizer = tokenizer
    }

    /// Reads `url`; a file that is not a JSON object of the expected types is refused naming the field.
    static func read(_ url: URL) throws -> LLaDAConfigFile {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw HuggingFaceError(file: url.path, "cannot be read (is the directory a Hugging Face model?)")
        }
        do {
            return try JSONDecoder().decode(LLaDAConfigFile.self, from: data)
        } catch let DecodingError.typeMismatch(type, context) {
            throw HuggingFaceError(file: url.path, field: context.codingPath.map(\.stringValue).joined(separator: "."),
                                   "expected a value of type \(type)")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw HuggingFaceError(file: url.path, field: context.codingPath.map(\.stringValue).joined(separator: "."),
                                   context.debugDescription)
        } catch {
            throw HuggingFaceError(file: url.path, "not a valid JSON configuration (\(error))")
        }
    }

    /// LLaDA's `mlp_ratio * d_model` as a width, refused naming `mlp_ratio` unless it is a whole
    /// number of at least 1 and at most `ModelConfig.maximumSize`.
    private func mlpHidden(ratio: Double, dModel: Int, path: String) throws -> Int {
        let width = (ratio * Double(dModel)).rounded(.towardZero)
        guard width.isFinite, width >= 1, width <= Double(ModelConfig.maximumSize) else {
            throw HuggingFaceError(file: path, field: CodingKeys.mlpRatio.rawValue,
                                   "\(ratio) x d_model \(dModel) is not a hidden width from 1 to \(ModelConfig.maximumSize)")
        }
        return Int(width)
    }

    /// A special token id as a 32-bit token, refused naming `key` when it does not fit one.
    private func tokenID(_ key: CodingKeys, _ value: Int, path: String) throws -> Int32 {
        guard let id = Int32(exactly: value) else {
            throw HuggingFaceError(file: path, field: key.rawValue, "\(value) is not a token id (0 to \(Int32.max))")
        }
        return id
    }

    /// The file's bytes: pretty-printed JSON with sorted keys.
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// The bgpo configuration this file describes, after refusing any architecture bgpo does not
    /// implement; `path` names the file in errors. Absent fields take the defaults of LLaDA's
    /// `ModelConfig` (mlp_ratio 4, max_sequence_length 1024, rope_theta 10000, rms_norm_eps 1e-5).
    func modelConfig(path: String) throws -> ModelConfig {
        func fail(_ key: CodingKeys, _ problem: String) -> HuggingFaceError {
            HuggingFaceError(file: path, field: key.rawValue, problem)
        }
        func require<T: Equatable>(_ key: CodingKeys, _ value: T?, _ allowed: T, _ what: String, absentOK: Bool = true) throws {
            if let value, value != allowed { throw fail(key, "\(value) is not supported (\(what))") }
            if value == nil && !absentOK { throw fail(key, "missing (bgpo supports \(allowed): \(what))") }
        }
        func required(_ key: CodingKeys, _ value: Int?) throws -> Int {
            guard let value else { throw fail(key, "missing") }
            return value
        }
        if let modelType, modelType != "llada" { throw fail(.modelType, "\"\(modelType)\" is not a LLaDA model (expected \"llada\")") }
        try require(.blockType, blockType, "llama", "only LLaDA's llama block is implemented", absentOK: false)
        try require(.includeBias, includeBias, false, "bgpo's layers have no biases")
        try require(.includeQKVBias, includeQKVBias, false, "bgpo's q, k, v projections have no biases")
        try require(.biasForLayerNorm, biasForLayerNorm, false, "bgpo's norms have no biases")
        try require(.layerNormType, layerNormType, "rms", "bgpo implements RMSNorm only", absentOK: false)
        try require(.layerNormWithAffine, layerNormWithAffine, true, "bgpo's norms have weights")
        try require(.attentionLayerNorm, attentionLayerNorm, false, "no q/k norms in bgpo's attention")
        // LLaDA's defaults are swiglu and no rotary embedding, so these two must be spelled out.
        try require(.activationType, activationType, "silu", "the llama block's gate is SiLU", absentOK: false)
        try require(.rope, rope, true, "bgpo's attention uses the rotary embedding", absentOK: false)
        try require(.alibi, alibi, false, "no ALiBi in bgpo")
        try require(.scaleLogits, scaleLogits, false, "bgpo does not scale logits")
        try require(.inputEmbNorm, inputEmbNorm, false, "bgpo does not normalise embeddings")
        try require(.blockGroupSize, blockGroupSize, 1, "blocks are stored one by one")
        if let clipQkv { throw fail(.clipQkv, "\(clipQkv) is not supported (bgpo does not clip q, k, v)") }
        let d = try required(.dModel, dModel), heads = try required(.nHeads, nHeads)
        let kvHeads = nKVHeads ?? (multiQueryAttention == true ? 1 : heads)
        let hidden = try mlpHiddenSize ?? mlpHidden(ratio: mlpRatio ?? 4, dModel: d, path: path)
        let vocab = try required(.vocabSize, vocabSize)
        if let embeddingSize, embeddingSize < vocab {
            throw fail(.embeddingSize, "\(embeddingSize) is smaller than vocab_size \(vocab)")
        }
        let eos = try required(.eosTokenID, eosTokenID)
        let config = ModelConfig(
            dModel: d, nLayers: try required(.nLayers, nLayers), nHeads: heads, nKVHeads: kvHeads, mlpHidden: hidden,
            vocabSize: embeddingSize ?? vocab, maxSeq: maxSequenceLength ?? 1024,
            ropeTheta: ropeTheta ?? 10_000, normEps: Float(rmsNormEps ?? 1e-5),
            maskTokenID: try tokenID(.maskTokenID, try required(.maskTokenID, maskTokenID), path: path),
            eosTokenID: try tokenID(.eosTokenID, eos, path: path), padTokenID: try tokenID(.padTokenID, padTokenID ?? eos, path: path))
        do {
            try config.validate()
        } catch let error as ModelConfigError {
            throw HuggingFaceError(file: path, field: error.field ?? "", "\(error)")
        }
        return config
    }
}
