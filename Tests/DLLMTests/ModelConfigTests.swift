import Base
import DLLM
import Foundation
import Testing

@Test(arguments: ModelConfig.presetNames)
func presetsAreValid(name: String) throws {
    let config = try ModelConfig.preset(name)
    try config.validate()
}

@Test func tinyPresetUsesGroupedKeyValueHeads() throws {
    let config = try ModelConfig.preset("tiny")
    #expect(config.nKVHeads < config.nHeads)
}

@Test func llada8BHasItsParameterCount() throws {
    let config = try ModelConfig.preset("llada-8b")
    let layout = ParameterLayout(config: config)
    #expect(layout.totalCount == 8_015_581_184)
    #expect(layout.entries.count == 2 + 32 * 9 + 1)
    #expect(layout["model.transformer.wte.weight"]?.shape == [126_464, 4096])
    #expect(layout["model.transformer.blocks.31.ff_out.weight"]?.shape == [4096, 12288])
    #expect(layout["model.transformer.blocks.0.up_proj.weight"]?.shape == [12288, 4096])
    #expect(layout["model.transformer.ff_out.weight"]?.shape == [126_464, 4096])
    #expect(layout["model.transformer.ln_f.weight"]?.shape == [4096])
    #expect(layout["model.transformer.blocks.32.q_proj.weight"] == nil)
}

@Test(arguments: ModelConfig.presetNames)
func layoutIsPackedInOrder(name: String) throws {
    let layout = ParameterLayout(config: try ModelConfig.preset(name))
    var offset = 0
    for entry in layout.entries {
        #expect(entry.offset == offset)
        #expect(entry.count == entry.shape.reduce(1, *))
        #expect(layout[entry.name] == entry)
        offset += entry.count
    }
    #expect(offset == layout.totalCount)
}

@Test func groupedKeyValueShapes() throws {
    let layout = ParameterLayout(config: try ModelConfig.preset("tiny"))
    #expect(layout["model.transformer.blocks.1.q_proj.weight"]?.shape == [32, 32])
    #expect(layout["model.transformer.blocks.1.k_proj.weight"]?.shape == [16, 32])
    #expect(layout["model.transformer.blocks.1.v_proj.weight"]?.shape == [16, 32])
}

@Test func unknownPresetIsAUsageError() {
    #expect(throws: ModelConfigError.unknownPreset("huge")) { try ModelConfig.preset("huge") }
    #expect(ModelConfigError.unknownPreset("huge").exitCode == 64)
}

/// The `tiny` preset with one change.
private func broken(_ change: (inout ModelConfig) -> Void) -> ModelConfig {
    var config = ModelConfig(dModel: 32, nLayers: 2, nHeads: 4, nKVHeads: 2, mlpHidden: 48, vocabSize: 16, maxSeq: 16,
                             maskTokenID: 1, eosTokenID: 0, padTokenID: 0)
    change(&config)
    return config
}

@Test(arguments: [
    ("d_model", broken { c in c.dModel = 0 }),
    ("n_layers", broken { c in c.nLayers = -1 }),
    ("mlp_hidden_size", broken { c in c.mlpHidden = 0 }),
    ("vocab_size", broken { c in c.vocabSize = 0 }),
    ("max_sequence_length", broken { c in c.maxSeq = 0 }),
    ("rope_theta", broken { c in c.ropeTheta = 0 }),
    ("rms_norm_eps", broken { c in c.normEps = -1 }),
    ("n_heads", broken { c in c.nHeads = 3 }),
    ("n_kv_heads", broken { c in c.nKVHeads = 3 }),
    ("head width", broken { c in c.nHeads = 32; c.nKVHeads = 32 }),
    ("mask_token_id", broken { c in c.maskTokenID = 16 }),
    ("eos_token_id", broken { c in c.eosTokenID = -1 }),
    ("pad_token_id", broken { c in c.padTokenID = 99 }),
])
func validationNamesTheField(field: String, config: ModelConfig) throws {
    let error = try #require(throws: ModelConfigError.self) { try config.validate() }
    #expect(error.description.contains(field), "\(error.description)")
    #expect(error.exitCode == ExitStatus.usage)
}

@Test func configRoundTripsThroughJSONWithLLaDANames() throws {
    let config = try ModelConfig.preset("llada-8b")
    let data = try JSONEncoder().encode(config)
    let text = String(decoding: data, as: UTF8.self)
    #expect(text.contains("\"n_kv_heads\":32"))
    #expect(text.contains("\"mask_token_id\":126336"))
    #expect(try JSONDecoder().decode(ModelConfig.self, from: data) == config)
}
