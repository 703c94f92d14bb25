import Base

/// A linear layer of a LLaDA block that a LoRA adapter can target; raw values are LLaDA's module
/// names, as PEFT's `target_modules` lists them.
///
/// The cases are in the order of a block's tensors in ``ParameterLayout``; `ff_out` is the block's
/// down projection, not the output head (which shares the name one level up and is never adapted).
public enum LoRATarget: String, CaseIterable, Codable, Sendable {
    /// Query projection, `[nHeads * headDim, dModel]`.
    case q = "q_proj"
    /// Key projection, `[nKVHeads * headDim, dModel]`.
    case k = "k_proj"
    /// Value projection, `[nKVHeads * headDim, dModel]`.
    case v = "v_proj"
    /// Attention output projection, `[dModel, nHeads * headDim]`.
    case attnOut = "attn_out"
    /// SwiGLU gate projection, `[mlpHidden, dModel]`.
    case ffProj = "ff_proj"
    /// SwiGLU up projection, `[mlpHidden, dModel]`.
    case up = "up_proj"
    /// The block's down projection, `[dModel, mlpHidden]`.
    case ffOut = "ff_out"

    /// The targets named `names` (LLaDA's module names); throws for a name that is no module.
    public static func parse(_ names: [String]) throws -> Set<LoRATarget> {
        Set(try names.map { name in
            guard let target = LoRATarget(rawValue: name) else { throw LoRAConfigError.unknownTarget(name) }
            return target
        })
    }

    /// The weight's PyTorch shape `[out, in]` in a model of shape `config`.
    public func shape(_ config: ModelConfig) -> (outFeatures: Int, inFeatures: Int) {
        let d = config.dModel, hd = config.nHeads * config.headDim, kvd = config.nKVHeads * config.headDim
        let m = config.mlpHidden
        switch self {
        case .q: return (hd, d)
        case .k, .v: return (kvd, d)
        case .attnOut: return (d, hd)
        case .ffProj, .up: return (m, d)
        case .ffOut: return (d, m)
        }
    }

    /// The offset of this layer's weight among a block's offsets.
    func weightOffset(_ block: BlockOffsets) -> Int {
        switch self {
        case .q: block.q
        case .k: block.k
        case .v: block.v
        case .attnOut: block.attnOut
        case .ffProj: block.ffProj
        case .up: block.up
        case .ffOut: block.ffOut
        }
    }
}

/// LoRA adapters as PEFT defines them: rank `r`, scale `alpha / r`, on the linear layers
/// `targetModules` of every block.
///
/// Coding keys are the configuration keys `lora_rank`, `lora_alpha` and `lora_target_modules`
/// (the targets encoded as a list in layout order); call ``validate(for:)`` before use.
public struct LoRAConfig: Codable, Equatable, Sendable {
    /// The adapters' rank r (PEFT's `r`).
    public var rank: Int
    /// PEFT's `lora_alpha`: the adapter's output is scaled by `alpha / rank`.
    public var alpha: Double
    /// The adapted linear layers of every block.
    public var targetModules: Set<LoRATarget>

    /// d1's targets on LLaDA's names. d1's LoRA configuration lists `q_proj, k_proj, v_proj, o_proj,
    /// gate_proj, up_proj, down_proj` (LLaMA's names); of those only `q_proj`, `k_proj`, `v_proj` and
    /// `up_proj` name modules of LLaDA, so those four are what PEFT adapts when d1 trains LLaDA.
    public static let d1Targets: Set<LoRATarget> = [.q, .k, .v, .up]

    /// Creates a configuration; the targets default to ``d1Targets``.
    public init(rank: Int, alpha: Double, targetModules: Set<LoRATarget> = LoRAConfig.d1Targets) {
        self.rank = rank
        self.alpha = alpha
        self.targetModules = targetModules
    }

    /// The factor `alpha / rank` of the adapter's output, rounded to F32 as PEFT applies it.
    public var scale: Float { Float(alpha / Double(rank)) }

    /// The targets in layout order.
    public var orderedTargets: [LoRATarget] { LoRATarget.allCases.filter(targetModules.contains) }

    /// Checks that the rank is positive and at most `min(in, out)` of every targeted layer of a model
    /// of shape `config`, that alpha is finite and positive, and that some module is targeted.
    public func validate(for config: ModelConfig) throws {
        if rank <= 0 { throw LoRAConfigError.rankNotPositive(rank) }
        if !(alpha.isFinite && alpha > 0) { throw LoRAConfigError.alphaNotPositive(alpha) }
        if targetModules.isEmpty { throw LoRAConfigError.noTargets }
        for target in orderedTargets {
            let (outFeatures, inFeatures) = target.shape(config)
            if rank > min(outFeatures, inFeatures) {
                throw LoRAConfigError.rankTooLarge(rank: rank, module: target, outFeatures: outFeatures,
                                                   inFeatures: inFeatures)
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case rank = "lora_rank"
        case alpha = "lora_alpha"
        case targetModules = "lora_target_modules"
    }

    /// Decodes the keys of ``CodingKeys``; the targets from a list.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rank = try container.decode(Int.self, forKey: .rank)
        alpha = try container.decode(Double.self, forKey: .alpha)
        targetModules = Set(try container.decode([LoRATarget].self, forKey: .targetModules))
    }

    /// Encodes the keys of ``CodingKeys``; the targets as a list in layout order, so equal
    /// configurations encode to equal bytes.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rank, forKey: .rank)
        try container.encode(alpha, forKey: .alpha)
        try container.encode(orderedTargets, forKey: .targetModules)
    }
}

/// A LoRA configuration that cannot be used; every case maps to exit code 64 and names its field.
public enum LoRAConfigError: Error, Equatable, CustomStringConvertible, ExitCodeProviding {
    /// The rank is zero or negative.
    case rankNotPositive(Int)
    /// The rank exceeds `min(out, in)` of a targeted layer of shape `[outFeatures, inFeatures]`.
    case rankTooLarge(rank: Int, module: LoRATarget, outFeatures: Int, inFeatures: Int)
    /// Alpha is not a finite positive number.
    case alphaNotPositive(Double)
    /// No module is targeted.
    case noTargets
    /// A target name that is no module of a LLaDA block.
    case unknownTarget(String)

    /// The configuration key the error is about.
    public var field: String {
        switch self {
        case .rankNotPositive, .rankTooLarge: LoRAConfig.CodingKeys.rank.rawValue
        case .alphaNotPositive: LoRAConfig.CodingKeys.alpha.rawValue
        case .noTargets, .unknownTarget: LoRAConfig.CodingKeys.targetModules.rawValue
        }
    }

    /// A one-line explanation naming the field, the value and the limit.
    public var description: String {
        switch self {
        case .rankNotPositive(let rank):
            "lora config: \(field) = \(rank) must be positive"
        case .rankTooLarge(let rank, let module, let outFeatures, let inFeatures):
            "lora config: \(field) = \(rank) is larger than \(min(outFeatures, inFeatures)), min(out, in) of "
                + "\(module.rawValue) [\(outFeatures), \(inFeatures)]"
        case .alphaNotPositive(let alpha):
            "lora config: \(field) = \(alpha) must be a finite positive number"
        case .noTargets:
            "lora config: \(field) is empty; name at least one of "
                + LoRATarget.allCases.map(\.rawValue).joined(separator: ", ")
        case .unknownTarget(let name):
            "lora config: \(field) entry '\(name)' names no module; expected one of "
                + LoRATarget.allCases.map(\.rawValue).joined(separator: ", ")
        }
    }

    /// Always ``ExitStatus/usage`` (64): a bad configuration.
    public var exitCode: Int32 { ExitStatus.usage }
}
