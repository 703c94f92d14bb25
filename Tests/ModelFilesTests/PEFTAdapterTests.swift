import Base
import Checkpoint
import DLLM
import Foundation
import ModelFiles
import TestSupport
import Testing

/// PEFT adapter directories: the round trip through bgpo's own reader, and the adapters bgpo must
/// refuse (exit 65 naming the file and the field or tensor, or 64 for an existing output).
@Suite struct PEFTAdapterTests {
    let config: ModelConfig

    init() throws {
        config = try ModelConfig.preset("tiny")
    }

    /// A random adapter of `lora` written as a PEFT directory in a fresh temporary directory.
    func written(_ lora: LoRAConfig) throws -> (directory: URL, adapter: URL, layout: AdapterLayout, adapters: FlatBuffer) {
        let layout = try AdapterLayout(config: config, lora: lora)
        let adapters = FlatBuffer(count: layout.totalCount)
        var rng = CounterRandom(seed: 9, purpose: .test)
        for i in 0..<adapters.count { adapters.pointer[i] = 2 * rng.nextFloat() - 1 }
        let directory = try temporaryDirectory("bgpo-peft-adapter")
        let adapter = directory.appendingPathComponent("adapter")
        try PEFTAdapter.write(adapters, layout: layout, baseModel: "tiny", to: adapter)
        return (directory, adapter, layout, adapters)
    }

    /// Rewrites one field of the adapter's configuration file to the JSON value `value`.
    func setField(_ field: String, to value: String, in adapter: URL) throws {
        let url = adapter.appendingPathComponent(PEFTAdapter.configFile)
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        json[field] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    /// The error reading `adapter` throws.
    func readError(_ adapter: URL) throws -> HuggingFaceError {
        try #require(throws: HuggingFaceError.self) { try PEFTAdapter.read(from: adapter, config: config) }
    }

    @Test func aWrittenAdapterReadsBackExactly() throws {
        let lora = LoRAConfig(rank: 3, alpha: 6, targetModules: [.k, .attnOut, .ffOut])
        let (directory, adapter, _, adapters) = try written(lora)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (read, values) = try PEFTAdapter.read(from: adapter, config: config)
        #expect(read == lora)
        #expect(Array(values.buffer) == Array(adapters.buffer))
        let json = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: adapter.appendingPathComponent(PEFTAdapter.configFile))) as? [String: Any])
        #expect(json["peft_type"] as? String == "LORA" && json["r"] as? Int == 3 && json["lora_alpha"] as? Double == 6)
        // ff_out is adapted: a pattern limited to the blocks, so that PEFT leaves the head alone.
        #expect((json["target_modules"] as? String)?.hasPrefix(#"model\.transformer\.blocks\."#) == true)
    }

    @Test func anExistingOutputIsRefused() throws {
        let (directory, adapter, layout, adapters) = try written(LoRAConfig(rank: 2, alpha: 2))
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = try #require(throws: HuggingFaceError.self) {
            try PEFTAdapter.write(adapters, layout: layout, baseModel: "tiny", to: adapter)
        }
        #expect(error.exitCode == 64)
    }

    @Test(arguments: [
        ("peft_type", #""IA3""#), ("use_rslora", "true"), ("use_dora", "true"), ("bias", #""all""#),
        ("rank_pattern", #"{"q_proj": 8}"#), ("modules_to_save", #"["lm_head"]"#), ("r", "0"), ("lora_alpha", "-1"),
    ])
    func configurationsBGPODoesNotComputeAreRefused(field: String, value: String) throws {
        let (directory, adapter, _, _) = try written(LoRAConfig(rank: 2, alpha: 2))
        defer { try? FileManager.default.removeItem(at: directory) }
        try setField(field, to: value, in: adapter)
        let error = try readError(adapter)
        #expect(error.exitCode == 65 && error.field == field, "\(error)")
    }

    @Test func aRankThatDoesNotMatchTheTensorsIsRefused() throws {
        let (directory, adapter, _, _) = try written(LoRAConfig(rank: 2, alpha: 2))
        defer { try? FileManager.default.removeItem(at: directory) }
        try setField("r", to: "3", in: adapter)
        let error = try readError(adapter)
        #expect(error.exitCode == 65 && error.field.hasSuffix("lora_A.weight") && error.problem.contains("shape"), "\(error)")
    }

    /// Tensors bgpo has no place for: the output head, a block beyond the model, layers that differ per block.
    @Test(arguments: [
        ("base_model.model.model.transformer.ff_out.lora_A.weight", "base_model.model.model.transformer.ff_out.lora_A.weight"),
        ("base_model.model.model.transformer.blocks.2.q_proj.lora_A.weight", "base_model.model.model.transformer.blocks.2.q_proj.lora_A.weight"),
        ("base_model.model.model.transformer.blocks.1.k_proj.lora_A.weight", "blocks.1"),
    ])
    func tensorsOutsideTheAdaptedBlocksAreRefused(extra: String, field: String) throws {
        let lora = LoRAConfig(rank: 2, alpha: 2, targetModules: [.q])
        let (directory, adapter, layout, adapters) = try written(lora)
        defer { try? FileManager.default.removeItem(at: directory) }
        let extraValues = [Float](repeating: 0, count: 2 * config.dModel)
        let views = layout.tensorViews(of: adapters) + extraValues.withUnsafeBufferPointer {
            [TensorView(name: extra, shape: [2, config.dModel], floats: $0)]
        }
        _ = try Safetensors.write(views, to: adapter.appendingPathComponent(PEFTAdapter.weightsFile))
        let error = try readError(adapter)
        #expect(error.exitCode == 65 && error.field == field, "\(error)")
    }
}
