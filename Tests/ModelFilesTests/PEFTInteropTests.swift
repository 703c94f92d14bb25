import Base
import DLLM
import Foundation
import ModelFiles
import TestSupport
import Testing

/// env/: the set-up scripts and the PyTorch reference.
private let environmentDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("env").path

/// PyTorch (CPU), safetensors and the real `peft` package, from env/setup-torch.sh (its venv,
/// .build/torch-venv, is the PyTorch reference's).
let peftEnvironment = PythonEnvironment(setupScript: environmentDirectory + "/setup-torch.sh", arguments: ["peft"])

/// env/reference: the independent PyTorch implementation of the model (`llada_torch.py`).
let referenceDirectory = environmentDirectory + "/reference"

/// The PyTorch side: the reference model of a bgpo model directory, wrapped by PEFT.
///   load ADAPTER_DIR: PeftModel.from_pretrained on the reference model, then the logits.
///   train ADAPTER_DIR R ALPHA TARGETS: a fresh LoRA (get_peft_model), B and A random, saved, then the logits.
///   merge ADAPTER_DIR MERGED_DIR: as load, then merge_and_unload; also compares its weights with those of
///   MERGED_DIR (a Hugging Face directory) and gives the logits of MERGED_DIR's model.
/// Prints {"logits": [...], "adapted": number of adapted modules, "head_adapted": bool}, and for merge
/// "weight_difference" (max |peft's merged - MERGED_DIR's| over every tensor) and "merged_logits".
private let peftScript = """
    import json, sys
    import torch
    sys.path.insert(0, sys.argv[1])
    import llada_torch
    from peft import LoraConfig, PeftModel, get_peft_model
    base_dir, command, adapter_dir = sys.argv[2], sys.argv[3], sys.argv[4]
    ids = [int(i) for i in sys.argv[5].split(",")]
    model = llada_torch.load_model_dir(base_dir)
    extra = {}
    if command in ("load", "merge"):
        peft_model = PeftModel.from_pretrained(model, adapter_dir)
    else:
        r, alpha, targets = int(sys.argv[6]), float(sys.argv[7]), sys.argv[8].split(",")
        peft_model = get_peft_model(model, LoraConfig(r=r, lora_alpha=alpha, target_modules=targets, lora_dropout=0.0))
        generator = torch.Generator().manual_seed(5)
        with torch.no_grad():
            for name, p in peft_model.named_parameters():
                if "lora_" in name:
                    p.copy_(0.2 * torch.randn(p.shape, generator=generator))
        peft_model.save_pretrained(adapter_dir)
    peft_model.eval()
    with torch.no_grad():
        logits = peft_model(torch.tensor([ids], dtype=torch.long))[0]
    adapted = [n for n, m in peft_model.named_modules() if hasattr(m, "lora_A") and len(m.lora_A) > 0]
    if command == "merge":
        theirs = peft_model.merge_and_unload().state_dict()
        ours = llada_torch.load_model_dir(sys.argv[6])
        assert sorted(theirs) == sorted(ours.state_dict()), "the merged models' tensors differ in names"
        extra["weight_difference"] = max((theirs[n] - p).abs().max().item() for n, p in ours.state_dict().items())
        with torch.no_grad():
            extra["merged_logits"] = ours(torch.tensor([ids], dtype=torch.long))[0].flatten().tolist()
    print(json.dumps({"logits": logits.flatten().tolist(), "adapted": len(adapted),
                      "head_adapted": any(n.endswith("transformer.ff_out") for n in adapted), **extra}))
    """

/// LoRA adapters written by bgpo load into PyTorch through `peft` and give bgpo's logits, and
/// adapters trained and saved by `peft` import into bgpo and give PyTorch's logits.
@Suite(.serialized) struct PEFTInteropTests {
    let ids: [Int32] = [2, 17, 30, 1, 1, 45, 8, 1, 60, 3]

    /// A model of the tiny preset's shape (grouped kv heads) with char-v1's vocabulary, written as
    /// a bgpo model directory in `directory`.
    func baseModel(in directory: URL) throws -> Model {
        var config = try ModelConfig.preset("tiny")
        config.vocabSize = CharTokenizer().vocabSize
        let model = randomModel(config: config, seed: 11)
        try ModelStore.save(model, tokenizer: CharTokenizer(), to: directory)
        return model
    }

    /// bgpo's logits of ``ids`` with the adapters on: `[ids.count * vocab]`.
    func logits(_ model: LoRAModel) -> [Float] {
        let workspace = model.makeWorkspace(batch: 1, seq: ids.count)
        ids.withUnsafeBufferPointer { model.forward(tokens: $0.baseAddress!, keyMask: nil, workspace: workspace) }
        return Array(UnsafeBufferPointer(start: workspace.logits, count: ids.count * model.config.vocabSize))
    }

    /// Runs the PyTorch side and decodes its answer.
    func torchSide(_ arguments: [String]) throws -> (logits: [Float], adapted: Int, headAdapted: Bool, json: [String: Any]) {
        let output = try peftEnvironment.run(peftScript, [referenceDirectory] + arguments)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let logits = try #require(json["logits"] as? [Double]).map(Float.init)
        return (logits, try #require(json["adapted"] as? Int), try #require(json["head_adapted"] as? Bool), json)
    }

    func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test func peftLoadsAnAdapterWrittenByBGPO() throws {
        let dir = try temporaryDirectory("bgpo-peft")
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = try baseModel(in: dir.appendingPathComponent("base"))
        // Every target, the block's ff_out included: the configuration must keep PEFT off the head.
        let lora = try LoRAModel(base: .f32(base), lora: LoRAConfig(rank: 4, alpha: 8, targetModules: Set(LoRATarget.allCases)),
                                 seed: 3)
        var rng = CounterRandom(seed: 4, purpose: .test)
        for i in 0..<lora.adapters.count { lora.adapters.pointer[i] = 0.2 * (2 * rng.nextFloat() - 1) }
        let adapterDirectory = dir.appendingPathComponent("adapter")
        try PEFTAdapter.write(lora.adapters, layout: lora.layout, baseModel: "base", to: adapterDirectory)

        let ours = logits(lora)
        let torch = try torchSide([dir.appendingPathComponent("base").path, "load", adapterDirectory.path,
                                   ids.map(String.init).joined(separator: ",")])
        let (torchLogits, adapted, headAdapted, _) = torch
        #expect(adapted == base.config.nLayers * LoRATarget.allCases.count)
        #expect(!headAdapted, "PEFT adapted the output head")
        #expect(torchLogits.count == ours.count)
        let baseLogits = logits(try LoRAModel(base: .f32(base), lora: LoRAConfig(rank: 4, alpha: 8), seed: 3))
        #expect(maxDifference(ours, baseLogits) > 0.1, "the adapters must change the logits for the test to mean anything")
        #expect(maxDifference(torchLogits, ours) <= 1e-4, "max |torch - bgpo| = \(maxDifference(torchLogits, ours))")
    }

    /// `bgpo export peft --merge`'s weights are PEFT's `merge_and_unload` of the same adapter, and
    /// the merged model alone gives the adapted model's logits.
    @Test func aMergedExportIsPEFTsMergeAndUnload() throws {
        let dir = try temporaryDirectory("bgpo-peft")
        defer { try? FileManager.default.removeItem(at: dir) }
        let baseDirectory = dir.appendingPathComponent("base")
        let base = try baseModel(in: baseDirectory)
        let lora = try LoRAModel(base: .f32(base), lora: LoRAConfig(rank: 4, alpha: 8, targetModules: [.q, .k, .v, .up, .ffOut]),
                                 seed: 3)
        var rng = CounterRandom(seed: 6, purpose: .test)
        for i in 0..<lora.adapters.count { lora.adapters.pointer[i] = 0.2 * (2 * rng.nextFloat() - 1) }
        let adapterDirectory = dir.appendingPathComponent("adapter"), mergedDirectory = dir.appendingPathComponent("merged")
        try PEFTAdapter.write(lora.adapters, layout: lora.layout, baseModel: "base", to: adapterDirectory)
        var merged = 0
        try HuggingFaceExport.export(from: baseDirectory, to: mergedDirectory) { entry, weight in
            merged += lora.layout.merge(lora.adapters, intoWeightAt: entry.offset, weight) ? 1 : 0
        }
        #expect(merged == base.config.nLayers * 5)

        let torch = try torchSide([baseDirectory.path, "merge", adapterDirectory.path, ids.map(String.init).joined(separator: ","),
                                   mergedDirectory.path])
        let json = torch.json
        let weightDifference = try #require(json["weight_difference"] as? Double)
        let mergedLogits = try #require(json["merged_logits"] as? [Double]).map(Float.init)
        #expect(weightDifference <= 1e-6, "max |peft's merged weight - bgpo's| = \(weightDifference)")
        let ours = logits(lora)
        #expect(maxDifference(ours, logits(try LoRAModel(base: .f32(base), lora: lora.layout.lora, seed: 3))) > 0.1,
                "the adapters must change the logits for the test to mean anything")
        #expect(maxDifference(mergedLogits, ours) <= 1e-4, "max |merged - adapted| = \(maxDifference(mergedLogits, ours))")
        #expect(maxDifference(torch.logits, ours) <= 1e-4, "max |peft adapted - bgpo adapted| = \(maxDifference(torch.logits, ours))")
    }

    @Test func bgpoImportsAnAdapterWrittenByPEFT() throws {
        let dir = try temporaryDirectory("bgpo-peft")
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = try baseModel(in: dir.appendingPathComponent("base"))
        let adapterDirectory = dir.appendingPathComponent("adapter")
        let torch = try torchSide([dir.appendingPathComponent("base").path, "train", adapterDirectory.path,
                                   ids.map(String.init).joined(separator: ","), "4", "16", "q_proj,v_proj,up_proj"])
        let (torchLogits, adapted, _, _) = torch
        #expect(adapted == base.config.nLayers * 3)

        let (config, adapters) = try PEFTAdapter.read(from: adapterDirectory, config: base.config)
        #expect(config == LoRAConfig(rank: 4, alpha: 16, targetModules: [.q, .v, .up]))
        let ours = logits(try LoRAModel(base: .f32(base), lora: config, adapters: adapters))
        #expect(maxDifference(torchLogits, ours) <= 1e-4, "max |torch - bgpo| = \(maxDifference(torchLogits, ours))")
    }
}
