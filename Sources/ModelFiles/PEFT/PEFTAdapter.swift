import Base
import Checkpoint
import DLLM
import Foundation

/// LoRA adapters as a PEFT adapter directory: `adapter_config.json` and
/// `adapter_model.safetensors`, the files `peft`'s `save_pretrained` writes and `PeftModel.from_pretrained`
/// reads, for a base model whose linear layers are LLaDA's `model.transformer.blocks.{k}.{module}`.
///
/// Only what bgpo computes is accepted on reading: plain LoRA (`peft_type` "LORA", scale
/// `lora_alpha / r`, no rsLoRA, DoRA, bias, per-layer ranks or extra trained modules) on the layers
/// of every block, the same layers in each.
public enum PEFTAdapter {
    /// The adapter's configuration file.
    public static let configFile = "adapter_config.json"
    /// The adapter's weights.
    public static let weightsFile = "adapter_model.safetensors"

    /// Writes `adapters` (laid out by `layout`) as a new PEFT adapter directory at `directory`,
    /// atomically; `baseModel` is recorded as `base_model_name_or_path`. An existing `directory` is
    /// refused (exit 64).
    public static func write(_ adapters: FlatBuffer, layout: AdapterLayout, baseModel: String, to directory: URL) throws {
        precondition(adapters.count == layout.totalCount, "PEFTAdapter.write: buffer and layout differ in size")
        try StagingDirectory.produce(directory) { staging in
            _ = try Safetensors.write(layout.tensorViews(of: adapters), metadata: ["format": "pt"], to: staging.appendingPathComponent(weightsFile))
            let json = try JSONSerialization.data(withJSONObject: configObject(layout.lora, baseModel: baseModel),
                                                  options: [.prettyPrinted, .sortedKeys])
            try writeFileAtomically(json, to: staging.appendingPathComponent(configFile))
        }
    }

    /// Reads the PEFT adapter directory `directory` for a base model of shape `config`: its LoRA
    /// configuration (rank and alpha from the configuration file, the targets from the tensors
    /// present) and its weights in an ``DLLM/AdapterLayout`` buffer.
    ///
    /// Throws ``HuggingFaceError`` (exit 65) naming the file and the field or tensor at fault.
    public static func read(from directory: URL, config: ModelConfig) throws -> (lora: LoRAConfig, adapters: FlatBuffer) {
        let configURL = directory.appendingPathComponent(configFile)
        let weightsURL = directory.appendingPathComponent(weightsFile)
        let (rank, alpha) = try readConfig(configURL)
        let header = try Safetensors.read(weightsURL, compressed: false).header
        let targets = try targets(of: header, nLayers: config.nLayers, file: weightsURL.path)
        let lora = LoRAConfig(rank: rank, alpha: alpha, targetModules: targets)
        let layout: AdapterLayout
        do {
            layout = try AdapterLayout(config: config, lora: lora)
        } catch {
            throw HuggingFaceError(file: configURL.path, field: "r", "\(error)")
        }
        for entry in layout.entries {
            guard let stored = header[entry.name] else {
                throw HuggingFaceError(file: weightsURL.path, field: entry.name, "missing")
            }
            guard stored.descriptor.shape == entry.shape else {
                throw HuggingFaceError(file: weightsURL.path, field: entry.name,
                                       "shape \(stored.descriptor.shape), the base model and r = \(rank) need \(entry.shape)")
            }
        }
        let adapters = FlatBuffer(count: layout.totalCount)
        _ = try Safetensors.read(weightsURL, compressed: false, into: layout.tensorDestinations(in: adapters))
        guard adapters.isAllFinite else {
            throw HuggingFaceError(file: weightsURL.path, "the adapter weights are not all finite")
        }
        return (lora, adapters)
    }

    /// The `adapter_config.json` object of `lora`: a list of module names, or, when the block's
    /// `ff_out` is adapted, a pattern that matches the blocks' layers only (a plain `ff_out` would
    /// also match the output head, which shares the name).
    static func configObject(_ lora: LoRAConfig, baseModel: String) -> [String: Any] {
        let names = lora.orderedTargets.map(\.rawValue)
        let targets: Any = lora.targetModules.contains(.ffOut)
            ? #"model\.transformer\.blocks\.\d+\.("# + names.joined(separator: "|") + ")"
            : names
        return [
            "peft_type": "LORA", "r": lora.rank, "lora_alpha": lora.alpha, "target_modules": targets,
            "lora_dropout": 0.0, "bias": "none", "fan_in_fan_out": false, "init_lora_weights": true,
            "inference_mode": true, "use_rslora": false, "use_dora": false, "rank_pattern": [String: Any](),
            "alpha_pattern": [String: Any](), "modules_to_save": NSNull(), "layers_to_transform": NSNull(),
            "base_model_name_or_path": baseModel, "task_type": NSNull(),
        ]
    }

    /// `r` and `lora_alpha` of the configuration file, after checking that it describes plain LoRA.
    private static func readConfig(_ url: URL) throws -> (rank: Int, alpha: Double) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw HuggingFaceError(file: url.path, "cannot read: \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let json = object as? [String: Any] else {
            throw HuggingFaceError(file: url.path, "not a JSON object")
        }
        func fail(_ field: String, _ problem: String) -> HuggingFaceError {
            HuggingFaceError(file: url.path, field: field, problem)
        }
        guard json["peft_type"] as? String == "LORA" else { throw fail("peft_type", "must be \"LORA\"") }
        guard let r = json["r"] as? NSNumber, let rank = Int(exactly: r.doubleValue), rank > 0 else {
            throw fail("r", "must be a positive integer")
        }
        guard let a = json["lora_alpha"] as? NSNumber, a.doubleValue.isFinite, a.doubleValue > 0 else {
            throw fail("lora_alpha", "must be a positive number")
        }
        let unsupported: [(String, (Any) -> Bool)] = [
            ("use_rslora", { ($0 as? Bool) == true }), ("use_dora", { ($0 as? Bool) == true }),
            ("fan_in_fan_out", { ($0 as? Bool) == true }), ("bias", { ($0 as? String).map { $0 != "none" } ?? true }),
            ("rank_pattern", { !(($0 as? [String: Any])?.isEmpty ?? true) }),
            ("alpha_pattern", { !(($0 as? [String: Any])?.isEmpty ?? true) }),
            ("modules_to_save", { !($0 is NSNull) && !(($0 as? [Any])?.isEmpty ?? false) }),
            ("layers_to_transform", { !($0 is NSNull) }),
        ]
        for (field, isUnsupported) in unsupported {
            if let value = json[field], isUnsupported(value) {
                throw fail(field, "\(value) is not supported (bgpo trains plain LoRA: scale lora_alpha / r on whole blocks)")
            }
        }
        return (rank, a.doubleValue)
    }

    /// The adapted layers: every tensor must be `...blocks.{k}.{module}.lora_{A,B}.weight` of a
    /// block of the model, and every block must adapt the same layers.
    private static func targets(of header: SafetensorsHeader, nLayers: Int, file: String) throws -> Set<LoRATarget> {
        let prefix = "base_model.model.model.transformer.blocks."
        var perBlock = [Set<LoRATarget>](repeating: [], count: nLayers)
        for entry in header.entries {
            let name = entry.descriptor.name
            let parts = name.hasPrefix(prefix) ? name.dropFirst(prefix.count).split(separator: ".") : []
            guard parts.count == 4, let block = Int(parts[0]), (0..<nLayers).contains(block),
                  let target = LoRATarget(rawValue: String(parts[1])),
                  parts[2] == "lora_A" || parts[2] == "lora_B", parts[3] == "weight" else {
                throw HuggingFaceError(file: file, field: name,
                                       "not a LoRA matrix of a block's linear layer of this \(nLayers)-block model "
                                           + "(bgpo adapts q_proj, k_proj, v_proj, attn_out, ff_proj, up_proj, ff_out of the blocks)")
            }
            perBlock[block].insert(target)
        }
        guard let first = perBlock.first, !first.isEmpty else {
            throw HuggingFaceError(file: file, "no LoRA tensors")
        }
        if let block = perBlock.firstIndex(where: { $0 != first }) {
            throw HuggingFaceError(file: file, field: "blocks.\(block)",
                                   "adapts \(perBlock[block].map(\.rawValue).sorted()), block 0 adapts "
                                       + "\(first.map(\.rawValue).sorted()); bgpo adapts the same layers in every block")
        }
        return first
    }
}
