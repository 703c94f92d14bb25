import Foundation
import TestSupport
import Testing

/// The committed Hugging Face fixtures (env/reference/make_*_fixture.py).
private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/HuggingFace")

/// A copy of fixture model `name` in `directory`, with the fixture tokenizer's files beside its weights.
private func stageFixture(_ name: String, in directory: URL) throws -> URL {
    let copy = directory.appendingPathComponent(name)
    try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: copy)
    for file in ["tokenizer.json", "tokenizer_config.json"] {
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("tokenizer/\(file)"),
                                         to: copy.appendingPathComponent(file))
    }
    return copy
}

/// The files of `directory` and their bytes.
private func contents(of directory: URL) throws -> [String: Data] {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    return try Dictionary(uniqueKeysWithValues: names.map { ($0, try Data(contentsOf: directory.appendingPathComponent($0))) })
}

/// Little-endian F32 values of a file.
private func floats(_ url: URL) throws -> [Float] {
    let data = try Data(contentsOf: url)
    return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
}

/// One way to spoil a Hugging Face directory, and what the refusal must name.
enum BadHuggingFaceInput: String, CaseIterable, Sendable {
    case corruptShard, wrongIndex, unknownBlockType, biases, kvHeadsShapeMismatch, missingTensor, tiedButHeadStored, noRope
    case hugeWidth, hugeMLPRatio, hugeLayerCount, overflowingParameterCount, hugeTokenID

    /// Spoils the F32 fixture copy at `model`.
    func apply(to model: URL) throws {
        let config = model.appendingPathComponent("config.json")
        let index = model.appendingPathComponent("model.safetensors.index.json")
        func edit(_ url: URL, _ change: (inout [String: Any]) -> Void) throws {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            change(&object)
            try JSONSerialization.data(withJSONObject: object).write(to: url)
        }
        switch self {
        case .corruptShard:
            let shard = model.appendingPathComponent("model-00002-of-00003.safetensors")
            try Data(try Data(contentsOf: shard).prefix(5000)).write(to: shard)
        case .wrongIndex:
            try edit(index) { root in
                var map = root["weight_map"] as! [String: Any]
                map["model.transformer.ln_f.weight"] = "model-00001-of-00003.safetensors"
                root["weight_map"] = map
            }
        case .unknownBlockType:
            try edit(config) { $0["block_type"] = "sequential" }
        case .biases:
            try edit(config) { $0["include_bias"] = true }
        case .tiedButHeadStored:
            try edit(config) { $0["weight_tying"] = true }
        case .noRope:
            try edit(config) { $0["rope"] = nil }
        case .kvHeadsShapeMismatch:
            try edit(config) { $0["n_kv_heads"] = 4 }
        case .hugeWidth:
            try edit(config) { $0["d_model"] = 1 << 40 }
        case .hugeMLPRatio:
            try edit(config) {
                $0["mlp_hidden_size"] = nil
                $0["mlp_ratio"] = 1e300
            }
        case .hugeLayerCount:
            try edit(config) { $0["n_layers"] = 1_000_000_000_000 }
        case .overflowingParameterCount:
            // Each size is allowed alone; 2 x 2^30 x 2^30 x ... overflows Int.
            try edit(config) {
                $0["d_model"] = 1 << 30
                $0["mlp_hidden_size"] = 1 << 30
            }
        case .hugeTokenID:
            try edit(config) { $0["mask_token_id"] = 1 << 40 }
        case .missingTensor:
            try edit(index) { root in
                var map = root["weight_map"] as! [String: Any]
                map["model.transformer.blocks.1.up_proj.weight"] = nil
                root["weight_map"] = map
            }
        }
    }

    /// Texts the error message must contain: the file and the field.
    var expected: [String] {
        switch self {
        case .corruptShard: ["model-00002-of-00003.safetensors", "truncated"]
        case .wrongIndex: ["model.safetensors.index.json", "weight_map.model.transformer.ln_f.weight"]
        case .unknownBlockType: ["config.json", "block_type", "sequential"]
        case .biases: ["config.json", "include_bias"]
        case .tiedButHeadStored: ["model-00003-of-00003.safetensors", "model.transformer.ff_out.weight", "weight_tying"]
        case .noRope: ["config.json", "rope: missing"]
        case .kvHeadsShapeMismatch: ["model-0000", "model.transformer.blocks.0.k_proj.weight", "[16, 16]"]
        case .missingTensor: ["model.safetensors.index.json", "weight_map", "model.transformer.blocks.1.up_proj.weight"]
        case .hugeWidth: ["config.json", "d_model", "1099511627776", "maximum 2147483647"]
        case .hugeMLPRatio: ["config.json", "mlp_ratio", "1e+300"]
        case .hugeLayerCount: ["config.json", "n_layers", "1000000000000", "maximum 65536"]
        case .overflowingParameterCount: ["config.json", "parameters", "maximum 1099511627776"]
        case .hugeTokenID: ["config.json", "mask_token_id", "1099511627776"]
        }
    }
}

@Suite struct HuggingFaceCLITests {
    /// Fixture `variant` held in memory as `dtype`: F32 weights in BF16 memory are rounded as the
    /// BF16 fixture was, so they give its logits.
    @Test(arguments: zip(["f32", "bf16", "bf16", "f32"], ["f32", "f32", "bf16", "bf16"]))
    func importedModelMatchesThePyTorchReferenceLogits(variant: String, dtype: String) throws {
        let directory = try temporaryDirectory("bgpo-hf")
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try stageFixture("llada-tiny-\(variant)", in: directory)
        let model = directory.appendingPathComponent("model").path
        let imported = try runBGPO(["import", "hf", source.path, "--out", model])
        #expect(imported.status == 0, "\(imported.stderr)")
        let ids = try JSONDecoder().decode([Int].self, from: Data(contentsOf: fixtures.appendingPathComponent("logits-ids.json")))
        let out = directory.appendingPathComponent("logits.json")
        let result = try runBGPO(["model", "logits", "--model", model, "--ids", ids.map(String.init).joined(separator: ","),
                                  "--out", out.path, "--threads", "1", "--dtype", dtype])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        #expect(json["shape"] as? [Int] == [ids.count, 2048])
        let logits = try #require(json["logits"] as? [Double])
        let expected = try floats(fixtures.appendingPathComponent("logits-\(dtype == "bf16" ? "bf16" : variant).bin"))
        #expect(logits.count == expected.count)
        let maxDiff = zip(logits, expected).map { abs($0 - Double($1)) }.max() ?? .infinity
        #expect(maxDiff < 1e-4, "max abs logits difference \(maxDiff)")
    }

    @Test(arguments: ["f32", "bf16"])
    func importExportImportIsBitIdentical(variant: String) throws {
        let directory = try temporaryDirectory("bgpo-hf")
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try stageFixture("llada-tiny-\(variant)", in: directory)
        let first = directory.appendingPathComponent("first"), second = directory.appendingPathComponent("second")
        let exported = directory.appendingPathComponent("exported")
        #expect(try runBGPO(["import", "hf", source.path, "--out", first.path]).status == 0)
        let export = try runBGPO(["export", "hf", first.path, "--out", exported.path, "--max-shard-size", "60KB"])
        #expect(export.status == 0, "\(export.stderr)")
        let files = try contents(of: exported)
        #expect(files["model.safetensors.index.json"] != nil && files.keys.filter { $0.hasPrefix("model-") }.count == 3)
        #expect(files["tokenizer.json"] == (try Data(contentsOf: source.appendingPathComponent("tokenizer.json"))))
        let configData = try #require(files["config.json"])
        let config = try #require(try JSONSerialization.jsonObject(with: configData) as? [String: Any])
        #expect(config["block_type"] as? String == "llama" && config["weight_tying"] as? Bool == false)
        #expect(config["n_kv_heads"] as? Int == 2 && config["mask_token_id"] as? Int == 2044)
        #expect(config["torch_dtype"] as? String == (variant == "f32" ? "float32" : "bfloat16"))
        #expect(try runBGPO(["import", "hf", exported.path, "--out", second.path]).status == 0)
        #expect(try contents(of: first) == contents(of: second))
    }

    @Test func sampleAcceptsAnImportedModel() throws {
        let directory = try temporaryDirectory("bgpo-hf")
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try stageFixture("llada-tiny-bf16", in: directory)
        let model = directory.appendingPathComponent("model").path
        #expect(try runBGPO(["import", "hf", source.path, "--out", model, "--dtype", "f32"]).status == 0)
        for dtype in ["f32", "bf16"] {
            let sample = try runBGPO(["sample", "--model", model, "--task", "countdown", "--prompt", "3 4 5 -> 12\\n",
                                      "--generation-length", "8", "--block-length", "8", "--threads", "1", "--dtype", dtype])
            #expect(sample.status == 0, "\(sample.stderr)")
        }
    }

    @Test func trainedImportedModelExportsBack() throws {
        let directory = try temporaryDirectory("bgpo-hf")
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try stageFixture("llada-tiny-bf16", in: directory)
        // Training prompts are d1's task prompts in the chat template (about 215 tokens): the tiny
        // fixture's 32 positions are raised to 256 (rotary positions only; no weight depends on it).
        let configURL = source.appendingPathComponent("config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        config["max_sequence_length"] = 256
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        let model = directory.appendingPathComponent("model").path
        #expect(try runBGPO(["import", "hf", source.path, "--out", model]).status == 0)
        let run = directory.appendingPathComponent("run")
        let train = try runBGPO([
            "train", "--preset", "countdown-tiny", "--output-dir", run.path, "--threads", "1",
            "--set", "model.path=\(model)", "--set", "model.tokenizer=hf-bpe", "--set", "sft.steps=0",
            "--set", "train.max_steps=1", "--set", "train.prompts_per_step=2", "--set", "train.micro_batch_size=4",
            "--set", "train.eval_steps=0", "--set", "task.test_size=2", "--set", "rollout.num_generations=2",
            "--set", "rollout.max_completion_length=8", "--set", "rollout.block_length=8",
            "--set", "rollout.diffusion_steps=4", "--set", "objective.mc_num=1"])
        #expect(train.status == 0, "\(train.stderr)")
        let exported = directory.appendingPathComponent("exported"), again = directory.appendingPathComponent("again")
        let weights = run.appendingPathComponent("checkpoints/step-000001/model.safetensors.zst").path
        let export = try runBGPO(["export", "hf", model, "--weights", weights, "--out", exported.path, "--dtype", "f32"])
        #expect(export.status == 0, "\(export.stderr)")
        let imported = try runBGPO(["import", "hf", exported.path, "--out", again.path])
        #expect(imported.status == 0 && imported.stdout.contains("tokenizer hf-bpe"), "\(imported.stderr)")
    }

    @Test(arguments: BadHuggingFaceInput.allCases)
    func badInputExits65NamingFileAndFieldAndLeavesNothing(_ bad: BadHuggingFaceInput) throws {
        let directory = try temporaryDirectory("bgpo-hf")
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try stageFixture("llada-tiny-f32", in: directory)
        try bad.apply(to: source)
        let out = directory.appendingPathComponent("out")
        let result = try runBGPO(["import", "hf", source.path, "--out", out.path])
        #expect(result.status == 65, "\(result.stderr)")
        for text in bad.expected { #expect(result.stderr.contains(text), "\(result.stderr)") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["llada-tiny-f32"])
    }

    @Test func existingOutputIsRefusedWith64() throws {
        let directory = try temporaryDirectory("bgpo-hf")
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try stageFixture("llada-tiny-bf16", in: directory)
        let result = try runBGPO(["import", "hf", source.path, "--out", source.path])
        #expect(result.status == 64 && result.stderr.contains("already exists"), "\(result.stderr)")
    }
}
