import Base
import DLLM
import Foundation
import Testing

/// LoRA configuration checks, the adapter layout's PEFT names and PEFT's initialisation.
@Suite struct LoRAConfigTests {
    private let tiny: ModelConfig

    init() throws { tiny = try ModelConfig.preset("tiny") }

    /// Every bad value is refused with an error that names its configuration key (and exit code 64).
    @Test func validationErrorsNameTheField() throws {
        let cases: [(LoRAConfig, String)] = [
            (LoRAConfig(rank: 0, alpha: 16), "lora_rank"),
            (LoRAConfig(rank: -3, alpha: 16), "lora_rank"),
            (LoRAConfig(rank: 4, alpha: 0), "lora_alpha"),
            (LoRAConfig(rank: 4, alpha: -2), "lora_alpha"),
            (LoRAConfig(rank: 4, alpha: .nan), "lora_alpha"),
            (LoRAConfig(rank: 4, alpha: .infinity), "lora_alpha"),
            (LoRAConfig(rank: 4, alpha: 16, targetModules: []), "lora_target_modules"),
        ]
        for (lora, field) in cases {
            let error = #expect(throws: LoRAConfigError.self) { try lora.validate(for: tiny) }
            #expect(error?.field == field, "\(lora)")
            #expect(error.map { "\($0)".contains(field) } == true, "\(String(describing: error))")
            #expect(error?.exitCode == 64)
            #expect(throws: LoRAConfigError.self) { try AdapterLayout(config: tiny, lora: lora) }
        }
        let unknown = #expect(throws: LoRAConfigError.self) { try LoRATarget.parse(["q_proj", "o_proj"]) }
        #expect(unknown == .unknownTarget("o_proj"))
        #expect(unknown?.field == "lora_target_modules")
        #expect(unknown.map { "\($0)".contains("'o_proj'") } == true)
        #expect(try LoRATarget.parse(["up_proj", "ff_out"]) == [.up, .ffOut])
    }

    /// The rank limit is min(out, in) of the smallest targeted layer: tiny's k_proj is [16, 32].
    @Test func rankLimitIsTheSmallestTargetedLayer() throws {
        let error = #expect(throws: LoRAConfigError.self) {
            try LoRAConfig(rank: 17, alpha: 16, targetModules: [.q, .k]).validate(for: tiny)
        }
        #expect(error == .rankTooLarge(rank: 17, module: .k, outFeatures: 16, inFeatures: 32))
        #expect(error?.field == "lora_rank")
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("lora_rank = 17") && text.contains("16") && text.contains("k_proj"), "\(text)")
        try LoRAConfig(rank: 16, alpha: 16, targetModules: [.q, .k]).validate(for: tiny)
        // Without k_proj and v_proj the limit is 32.
        try LoRAConfig(rank: 32, alpha: 16, targetModules: [.q, .attnOut, .ffProj, .up, .ffOut]).validate(for: tiny)
        #expect(throws: LoRAConfigError.self) {
            try LoRAConfig(rank: 33, alpha: 16, targetModules: [.ffOut]).validate(for: tiny)
        }
    }

    /// d1's default targets, PEFT's scale and a stable encoding.
    @Test func defaultsScaleAndCoding() throws {
        let lora = LoRAConfig(rank: 8, alpha: 12)
        #expect(lora.targetModules == [.q, .k, .v, .up])
        #expect(lora.scale == 1.5)
        let json = String(decoding: try JSONEncoder().encode(lora), as: UTF8.self)
        #expect(json.contains(#""lora_target_modules":["q_proj","k_proj","v_proj","up_proj"]"#), "\(json)")
        #expect(try JSONDecoder().decode(LoRAConfig.self, from: Data(json.utf8)) == lora)
    }

    /// The names are exactly PEFT's for LLaDA's module paths, in layout order, with PyTorch shapes.
    @Test func layoutHasPEFTNamesAndShapes() throws {
        let layout = try AdapterLayout(config: tiny, lora: LoRAConfig(rank: 8, alpha: 16))
        #expect(layout.entries.count == 2 * 4 * 2)
        #expect(layout.entries.first?.name == "base_model.model.model.transformer.blocks.0.q_proj.lora_A.weight")
        #expect(layout.entries.first?.shape == [8, 32])
        #expect(layout.entries.map(\.name).prefix(8) == [
            "base_model.model.model.transformer.blocks.0.q_proj.lora_A.weight",
            "base_model.model.model.transformer.blocks.0.q_proj.lora_B.weight",
            "base_model.model.model.transformer.blocks.0.k_proj.lora_A.weight",
            "base_model.model.model.transformer.blocks.0.k_proj.lora_B.weight",
            "base_model.model.model.transformer.blocks.0.v_proj.lora_A.weight",
            "base_model.model.model.transformer.blocks.0.v_proj.lora_B.weight",
            "base_model.model.model.transformer.blocks.0.up_proj.lora_A.weight",
            "base_model.model.model.transformer.blocks.0.up_proj.lora_B.weight",
        ])
        #expect(layout["base_model.model.model.transformer.blocks.1.k_proj.lora_B.weight"]?.shape == [16, 8])
        #expect(layout["base_model.model.model.transformer.blocks.1.up_proj.lora_B.weight"]?.shape == [48, 8])
        let every = try AdapterLayout(config: tiny, lora: LoRAConfig(rank: 2, alpha: 2, targetModules: Set(LoRATarget.allCases)))
        #expect(every["base_model.model.model.transformer.blocks.0.attn_out.lora_A.weight"]?.shape == [2, 32])
        #expect(every["base_model.model.model.transformer.blocks.0.ff_out.lora_A.weight"]?.shape == [2, 48])
        #expect(every["base_model.model.model.transformer.blocks.1.ff_proj.lora_B.weight"]?.shape == [48, 2])
        // Packed without gaps, and the total is the trainable parameter count.
        var offset = 0
        for entry in every.entries {
            #expect(entry.offset == offset && entry.count == entry.shape.reduce(1, *), "\(entry.name)")
            offset += entry.count
        }
        #expect(every.totalCount == offset)
        #expect(offset == 2 * 2 * (32 + 32 + 32 + 16 + 32 + 16 + 32 + 32 + 32 + 48 + 32 + 48 + 48 + 32))
    }

    /// A uniform in +-1/sqrt(in) (Kaiming-uniform, a = sqrt(5)), B zero; a function of the seed, the
    /// block, the layer and the rank only.
    @Test func initialisationIsPEFTsDefault() throws {
        let lora = LoRAConfig(rank: 8, alpha: 16, targetModules: [.q, .ffOut])
        let layout = try AdapterLayout(config: tiny, lora: lora)
        let buffer = FlatBuffer(count: layout.totalCount)
        buffer.buffer.update(repeating: 7)
        layout.initialize(buffer, seed: 3)
        for entry in layout.entries {
            let values = Array(buffer.buffer[entry.offset..<(entry.offset + entry.count)])
            if entry.name.hasSuffix("lora_B.weight") {
                #expect(values.allSatisfy { $0 == 0 }, "\(entry.name)")
            } else {
                let bound = 1 / Float(entry.shape[1]).squareRoot()
                let largest = values.map(abs).max() ?? 0
                #expect(largest <= bound && largest > 0.9 * bound, "\(entry.name): max |A| \(largest), bound \(bound)")
                let mean = values.reduce(0, +) / Float(values.count)
                #expect(abs(mean) < 0.2 * bound, "\(entry.name): mean \(mean)")
            }
        }
        let again = FlatBuffer(count: layout.totalCount), other = FlatBuffer(count: layout.totalCount)
        layout.initialize(again, seed: 3)
        layout.initialize(other, seed: 4)
        #expect(again.buffer.elementsEqual(buffer.buffer))
        #expect(!other.buffer.elementsEqual(buffer.buffer))
        // Block 1's ff_out A is the same whatever else is targeted.
        let wider = try AdapterLayout(config: tiny, lora: LoRAConfig(rank: 8, alpha: 16, targetModules: [.q, .k, .up, .ffOut]))
        let widerBuffer = FlatBuffer(count: wider.totalCount)
        wider.initialize(widerBuffer, seed: 3)
        let name = AdapterLayout.name(block: 1, target: .ffOut, matrix: .a)
        let (x, y) = (try #require(layout[name]), try #require(wider[name]))
        #expect(buffer.buffer[x.offset..<(x.offset + x.count)].elementsEqual(widerBuffer.buffer[y.offset..<(y.offset + y.count)]))
    }
}
