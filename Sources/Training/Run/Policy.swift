import Base
import Checkpoint
import Crypto
import DLLM
import Foundation
import ModelFiles
import RunConfig

/// What RL trains, made from the base model: the base itself (full fine-tuning), or LoRA adapters
/// over the frozen base stored as `model.dtype` (`model.lora_rank` > 0); with diffu-GRPO's
/// reference policy when its KL term needs one.
struct Policy {
    /// The trained model.
    let model: any TrainableModel
    /// diffu-GRPO's frozen reference policy, when `beta > 0`: a copy of the base for full
    /// fine-tuning, the base with the adapters off with LoRA (no second copy of the weights).
    let reference: (any ForwardModel)?
    /// With LoRA, the SHA-256 of the frozen base's weights as stored (``TrainingState/baseDigest``).
    let baseDigest: String?
    /// One line for the log: what trains, and how many parameters.
    let summary: String

    /// The policy of `config` over `base` (rounded to bfloat16 when `model.dtype` asks and it is
    /// F32); throws ``DLLM/LoRAConfigError`` (exit 64, naming the key) when the adapters do not fit
    /// the base's shape, and refuses a bfloat16 base without LoRA (it cannot train).
    init(config: RunConfig, base: FrozenBase) throws {
        let needsReference = config.objective.needsReferencePolicy
        guard let lora = config.model.lora else {
            guard case .f32(let base) = base else {
                throw ConfigError.invalidValue(key: "model.dtype", value: "\"bf16\"",
                                               expected: "\"f32\" unless model.lora_rank > 0 (only a frozen base can be bfloat16)")
            }
            model = needsReference ? Self.copy(base) : base
            reference = needsReference ? base : nil
            baseDigest = nil
            summary = "training every weight (\(base.parameters.count) parameters)"
            return
        }
        let frozen: FrozenBase
        switch (base, config.model.dtype) {
        case (.f32(let model), .bf16): frozen = .bf16(BF16Model(model: model))
        case (.bf16, .f32): throw ConfigError.invalidValue(key: "model.dtype", value: "\"f32\"",
                                                           expected: "\"bf16\": the base was loaded as bfloat16")
        default: frozen = base
        }
        let adapted = try Self.adapters(lora, over: frozen, config: config)
        model = adapted
        reference = needsReference ? adapted.baseOnly : nil
        baseDigest = Self.digest(of: frozen)
        summary = "training LoRA adapters " + (config.model.loraPath.isEmpty ? "" : "from \(config.model.loraPath) ")
            + "(rank \(lora.rank), alpha \(lora.alpha), "
            + "\(lora.orderedTargets.map(\.rawValue).joined(separator: ", ")); \(adapted.adapters.count) parameters) "
            + "over the frozen \(config.model.dtype.rawValue) base (\(ParameterLayout(config: adapted.config).totalCount) parameters, "
            + "sha256 \(baseDigest!.prefix(16))…)"
    }

    /// The adapters RL starts from: those of the PEFT directory `model.lora_path`, which must be
    /// `lora` (exit 64 naming the key that differs), else PEFT's initialisation from `train.seed`.
    private static func adapters(_ lora: LoRAConfig, over base: FrozenBase, config: RunConfig) throws -> LoRAModel {
        guard !config.model.loraPath.isEmpty else { return try LoRAModel(base: base, lora: lora, seed: UInt64(config.train.seed)) }
        let (stored, adapters) = try PEFTAdapter.read(from: URL(fileURLWithPath: config.model.loraPath, isDirectory: true),
                                                      config: base.config)
        let path = config.model.loraPath
        for (key, mine, theirs) in [("model.lora_rank", "\(lora.rank)", "\(stored.rank)"),
                                    ("model.lora_alpha", "\(lora.alpha)", "\(stored.alpha)"),
                                    ("model.lora_target_modules", "\(lora.orderedTargets.map(\.rawValue))",
                                     "\(stored.orderedTargets.map(\.rawValue))")] where mine != theirs {
            throw ConfigError.invalidValue(key: key, value: mine, expected: "\(theirs), the adapter's in \(path) (model.lora_path)")
        }
        return try LoRAModel(base: base, lora: lora, adapters: adapters)
    }

    /// Why a checkpoint's adapters cannot be resumed over this run's base.
    static func baseMismatch(saved: String?, current: String?) -> String {
        switch (saved, current) {
        case (nil, _?): "the checkpoint holds every weight (full fine-tuning), this run trains LoRA adapters (model.lora_rank)"
        case (_?, nil): "the checkpoint holds LoRA adapters, this run trains every weight (model.lora_rank = 0)"
        case let (saved?, current?):
            "its adapters were trained over a base with sha256 \(saved), this run's base (model.path, model.dtype) "
                + "has sha256 \(current)"
        case (nil, nil): "the checkpoints agree"
        }
    }

    /// The SHA-256 of the frozen weights as stored (F32 or bfloat16 bytes), as hex.
    static func digest(of base: FrozenBase) -> String {
        var hasher = SHA256()
        switch base {
        case .f32(let model):
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: model.parameters.pointer,
                                                                count: model.parameters.count * MemoryLayout<Float>.stride))
        case .bf16(let model):
            hasher.update(bufferPointer: UnsafeRawBufferPointer(model.storage))
        }
        return hexString(hasher.finalize())
    }

    private static func copy(_ model: Model) -> Model {
        let parameters = FlatBuffer(count: model.parameters.count)
        parameters.copy(from: model.parameters)
        return Model(config: model.config, parameters: parameters)
    }
}
