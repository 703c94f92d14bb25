import Base

/// The shape of a LLaDA-style mask-predictor transformer.
///
/// Coding keys are the names of LLaDA's Hugging Face `config.json` (`d_model`, `n_heads`, ...), so a
/// checkpoint's configuration reads the same in both worlds.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Width of the residual stream.
    public var dModel: Int
    /// Number of transformer blocks.
    public var nLayers: Int
    /// Number of query heads.
    public var nHeads: Int
    /// Number of key/value heads; divides `nHeads` (grouped-query attention when smaller).
    public var nKVHeads: Int
    /// Hidden width of the SwiGLU feed-forward block.
    public var mlpHidden: Int
    /// Number of token ids (rows of the embedding and of the output head).
    public var vocabSize: Int
    /// Longest sequence a workspace may be built for (rotary positions 0..<maxSeq).
    public var maxSeq: Int
    /// Rotary embedding base.
    public var ropeTheta: Double
    /// RMSNorm epsilon.
    public var normEps: Float
    /// The reserved `[MASK]` token id.
    public var maskTokenID: Int32
    /// The end-of-sequence token id.
    public var eosTokenID: Int32
    /// The padding token id.
    public var padTokenID: Int32

    /// Creates a configuration; call ``validate()`` before building a model from it.
    public init(dModel: Int, nLayers: Int, nHeads: Int, nKVHeads: Int, mlpHidden: Int, vocabSize: Int, maxSeq: Int,
                ropeTheta: Double = 10_000, normEps: Float = 1e-5,
                maskTokenID: Int32, eosTokenID: Int32, padTokenID: Int32) {
        self.dModel = dModel
        self.nLayers = nLayers
        self.nHeads = nHeads
        self.nKVHeads = nKVHeads
        self.mlpHidden = mlpHidden
        self.vocabSize = vocabSize
        self.maxSeq = maxSeq
        self.ropeTheta = ropeTheta
        self.normEps = normEps
        self.maskTokenID = maskTokenID
        self.eosTokenID = eosTokenID
        self.padTokenID = padTokenID
    }

    /// Width of one attention head, `dModel / nHeads`.
    public var headDim: Int { dModel / nHeads }

    enum CodingKeys: String, CodingKey {
        case dModel = "d_model"
        case nLayers = "n_layers"
        case nHeads = "n_heads"
        case nKVHeads = "n_kv_heads"
        case mlpHidden = "mlp_hidden_size"
        case vocabSize = "vocab_size"
        case maxSeq = "max_sequence_length"
        case ropeTheta = "rope_theta"
        case normEps = "rms_norm_eps"
        case maskTokenID = "mask_token_id"
        case eosTokenID = "eos_token_id"
        case padTokenID = "pad_token_id"
    }
}

extension ModelConfig {
    /// The names ``preset(_:)`` accepts.
    public static let presetNames = ["tiny", "small", "large", "llada-8b"]

    /// A named configuration: `tiny` (tests, grouped kv heads), `small` and `large` (CPU experiments,
    /// EOS/pad 0 and mask 1 as in the "char-v1" tokenizer), `llada-8b` (LLaDA-8B's shape).
    public static func preset(_ name: String) throws -> ModelConfig {
        switch name {
        case "tiny":
            ModelConfig(dModel: 32, nLayers: 2, nHeads: 4, nKVHeads: 2, mlpHidden: 48, vocabSize: 16, maxSeq: 16,
                        maskTokenID: 1, eosTokenID: 0, padTokenID: 0)
        case "small":
            ModelConfig(dModel: 256, nLayers: 4, nHeads: 4, nKVHeads: 4, mlpHidden: 688, vocabSize: 64, maxSeq: 128,
                        maskTokenID: 1, eosTokenID: 0, padTokenID: 0)
        case "large":
            ModelConfig(dModel: 512, nLayers: 8, nHeads: 8, nKVHeads: 8, mlpHidden: 1376, vocabSize: 64, maxSeq: 256,
                        maskTokenID: 1, eosTokenID: 0, padTokenID: 0)
        case "llada-8b":
            ModelConfig(dModel: 4096, nLayers: 32, nHeads: 32, nKVHeads: 32, mlpHidden: 12288, vocabSize: 126_464,
                        maxSeq: 4096, ropeTheta: 500_000, maskTokenID: 126_336, eosTokenID: 126_081, padTokenID: 126_081)
        default:
            throw ModelConfigError.unknownPreset(name)
        }
    }

    /// Checks that every size is positive and within its maximum (``maximumSize``,
    /// ``maximumLayers``, ``maximumParameters``), the heads divide evenly, and the special ids are
    /// in the vocabulary.
    public func validate() throws {
        let sizes: [(CodingKeys, Int)] = [(.dModel, dModel), (.nLayers, nLayers), (.nHeads, nHeads), (.nKVHeads, nKVHeads),
                                          (.mlpHidden, mlpHidden), (.vocabSize, vocabSize), (.maxSeq, maxSeq)]
        for (key, value) in sizes where value <= 0 {
            throw ModelConfigError.notPositive(field: key.rawValue, value: "\(value)")
        }
        try validateSizes()
        if !(ropeTheta > 0) { throw ModelConfigError.notPositive(field: CodingKeys.ropeTheta.rawValue, value: "\(ropeTheta)") }
        if !(normEps > 0) { throw ModelConfigError.notPositive(field: CodingKeys.normEps.rawValue, value: "\(normEps)") }
        if dModel % nHeads != 0 {
            throw ModelConfigError.notDivisible(field: CodingKeys.nHeads.rawValue, value: nHeads,
                                                of: CodingKeys.dModel.rawValue, total: dModel)
        }
        if nHeads % nKVHeads != 0 {
            throw ModelConfigError.notDivisible(field: CodingKeys.nKVHeads.rawValue, value: nKVHeads,
                                                of: CodingKeys.nHeads.rawValue, total: nHeads)
        }
        if headDim % 2 != 0 { throw ModelConfigError.oddHeadDim(headDim) }
        let ids: [(CodingKeys, Int32)] = [(.maskTokenID, maskTokenID), (.eosTokenID, eosTokenID), (.padTokenID, padTokenID)]
        for (key, id) in ids where id < 0 || Int(id) >= vocabSize {
            throw ModelConfigError.tokenOutOfVocabulary(field: key.rawValue, id: id, vocabSize: vocabSize)
        }
    }
}

/// A model configuration that cannot be used; every case maps to exit code 64.
public enum ModelConfigError: Error, Equatable, CustomStringConvertible, ExitCodeProviding {
    /// No preset has this name.
    case unknownPreset(String)
    /// A size or constant that must be positive is not.
    case notPositive(field: String, value: String)
    /// `field` (= `value`) does not divide `of` (= `total`).
    case notDivisible(field: String, value: Int, of: String, total: Int)
    /// The head width `d_model / n_heads` is odd, so the rotary halves do not exist.
    case oddHeadDim(Int)
    /// A special token id lies outside `0..<vocab_size`.
    case tokenOutOfVocabulary(field: String, id: Int32, vocabSize: Int)
    /// A size above its maximum.
    case tooLarge(field: String, value: Int, limit: Int)
    /// More parameters than ``ModelConfig/maximumParameters`` (`count` nil: more than `Int` holds).
    case tooManyParameters(count: Int?, limit: Int)

    /// A one-line explanation naming the offending field and value.
    public var description: String {
        switch self {
        case .unknownPreset(let name):
            "unknown model preset '\(name)'; expected one of \(ModelConfig.presetNames.joined(separator: ", "))"
        case .notPositive(let field, let value):
            "model config: \(field) = \(value) must be positive"
        case .notDivisible(let field, let value, let of, let total):
            "model config: \(field) = \(value) must divide \(of) = \(total)"
        case .oddHeadDim(let headDim):
            "model config: head width d_model / n_heads = \(headDim) must be even for the rotary embedding"
        case .tokenOutOfVocabulary(let field, let id, let vocabSize):
            "model config: \(field) = \(id) is outside the vocabulary 0..<\(vocabSize) (vocab_size)"
        case .tooLarge(let field, let value, let limit):
            "model config: \(field) = \(value) is larger than the maximum \(limit)"
        case .tooManyParameters(let count, let limit):
            "model config: the shape has \(count.map(String.init) ?? "more than \(Int.max)") parameters, more than the maximum \(limit)"
        }
    }

    /// The field the error is about, when it is about one.
    public var field: String? {
        switch self {
        case .notPositive(let field, _), .notDivisible(let field, _, _, _), .tokenOutOfVocabulary(let field, _, _),
             .tooLarge(let field, _, _):
            field
        case .oddHeadDim: ModelConfig.CodingKeys.dModel.rawValue
        case .unknownPreset, .tooManyParameters: nil
        }
    }

    /// Always ``ExitStatus/usage`` (64): a bad configuration.
    public var exitCode: Int32 { ExitStatus.usage }
}
