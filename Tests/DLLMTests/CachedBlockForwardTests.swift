import Base
import DLLM
import TestSupport
import Testing

/// Block-wise caching (``modelForward(_:tokens:keyMask:workspace:recomputing:)``): what it computes
/// exactly, and what it leaves stale, for every model type.
@Suite struct CachedBlockForwardTests {
    static let seq = 12

    /// The model types a sampler decodes with, of `config`'s shape: F32, bfloat16, LoRA with adapters
    /// far from zero (on, and off).
    static func models(_ config: ModelConfig) throws -> [(name: String, model: any ForwardModel)] {
        let base = randomModel(config: config, seed: 31)
        let lora = try LoRAModel(base: .f32(base), lora: LoRAConfig(rank: 4, alpha: 6, targetModules: Set(LoRATarget.allCases)),
                                 seed: 32)
        var rng = CounterRandom(seed: 33, purpose: .test)
        for j in 0..<lora.adapters.count { lora.adapters.pointer[j] = 0.3 * (2 * rng.nextFloat() - 1) }
        return [("f32", base), ("bf16", BF16Model(model: roundToBFloat16(randomModel(config: config, seed: 31)))),
                ("lora", lora), ("lora base", lora.baseOnly)]
    }

    /// The tiny shape with `layers` blocks.
    static func config(layers: Int) throws -> ModelConfig {
        var config = try ModelConfig.preset("tiny")
        config.nLayers = layers
        return config
    }

    /// The logits of `positions` of both sequences of the last pass in `ws`.
    static func logits(_ ws: Workspace, _ positions: Range<Int>) -> [Double] {
        let v = ws.config.vocabSize
        return (0..<ws.batch).flatMap { b in
            positions.flatMap { i in (0..<v).map { Double(ws.logits[(b * ws.seq + i) * v + $0]) } }
        }
    }

    /// The full forward's logits of `positions` for `tokens`, in a fresh workspace.
    static func fullLogits(_ model: any ForwardModel, _ tokens: [Int32], _ mask: [UInt8], _ positions: Range<Int>) -> [Double] {
        let ws = model.makeWorkspace(batch: 2, seq: seq)
        model.forward(tokens: tokens, keyMask: mask, workspace: ws)
        return logits(ws, positions)
    }

    /// Over the tokens the cache was filled with, a cached pass gives the full forward's logits
    /// (the recomputed keys and values are those in the cache, the rotary angles start at the block).
    @Test(arguments: [3..<7, 0..<1, 11..<12, 0..<12])
    func aCachedPassOverUnchangedTokensIsTheFullForward(positions: Range<Int>) throws {
        let config = try Self.config(layers: 2)
        let (tokens, mask) = paddedBatch(config: config, seq: Self.seq, padding: 3, seed: 34)
        for (name, model) in try Self.models(config) {
            let expected = Self.fullLogits(model, tokens, mask, positions)
            let ws = model.makeWorkspace(batch: 2, seq: Self.seq)
            model.forward(tokens: tokens, keyMask: mask, workspace: ws, positions: 3..<7)
            model.forward(tokens: tokens, keyMask: mask, workspace: ws, recomputing: positions)
            let error = relativeError(Self.logits(ws, positions), expected)
            #expect(error < 1e-6, "\(name), positions \(positions): relative error \(error)")
            // Again over its own keys and values: still the same.
            model.forward(tokens: tokens, keyMask: mask, workspace: ws, recomputing: positions)
            #expect(relativeError(Self.logits(ws, positions), expected) < 1e-6, "\(name), positions \(positions), twice")
        }
    }

    /// With one block, the other positions' keys and values depend on their own tokens only, so after
    /// tokens of the block change a cached pass is exact: the block's keys and values are recomputed
    /// from the new tokens, in the cache, before the block's queries read them.
    @Test func withOneLayerTheBlocksNewTokensAreSeenExactly() throws {
        let config = try Self.config(layers: 1)
        let (tokens, mask) = paddedBatch(config: config, seq: Self.seq, padding: 3, seed: 35)
        var changed = tokens
        for i in [4, 5, Self.seq + 6] { changed[i] = (changed[i] + 1) % Int32(config.vocabSize) }
        for (name, model) in try Self.models(config) {
            let expected = Self.fullLogits(model, changed, mask, 3..<7)
            #expect(relativeError(Self.fullLogits(model, tokens, mask, 3..<7), expected) > 1e-3, "\(name): the change matters")
            let ws = model.makeWorkspace(batch: 2, seq: Self.seq)
            model.forward(tokens: tokens, keyMask: mask, workspace: ws, positions: 3..<7)
            model.forward(tokens: changed, keyMask: mask, workspace: ws, recomputing: 3..<7)
            let error = relativeError(Self.logits(ws, 3..<7), expected)
            #expect(error < 1e-6, "\(name): relative error \(error)")
        }
    }

    /// The approximation: tokens outside the recomputed positions are not read (their keys and values
    /// are the cache's), so a change there is invisible; with two blocks, a change inside the block
    /// reaches the other positions' second-block keys only at the next full pass.
    @Test func positionsOutsideTheBlockAreReadFromTheCache() throws {
        let config = try Self.config(layers: 2)
        let (tokens, mask) = paddedBatch(config: config, seq: Self.seq, padding: 3, seed: 36)
        var outside = tokens, inside = tokens
        for i in [1, 9, Self.seq + 2] { outside[i] = (outside[i] + 1) % Int32(config.vocabSize) }
        for i in [4, Self.seq + 5] { inside[i] = (inside[i] + 1) % Int32(config.vocabSize) }
        for (name, model) in try Self.models(config) {
            let before = Self.fullLogits(model, tokens, mask, 3..<7)
            let ws = model.makeWorkspace(batch: 2, seq: Self.seq)
            model.forward(tokens: tokens, keyMask: mask, workspace: ws)
            model.forward(tokens: outside, keyMask: mask, workspace: ws, recomputing: 3..<7)
            #expect(relativeError(Self.logits(ws, 3..<7), before) < 1e-6, "\(name): a change outside the block is not seen")

            model.forward(tokens: tokens, keyMask: mask, workspace: ws)
            model.forward(tokens: inside, keyMask: mask, workspace: ws, recomputing: 3..<7)
            let cached = Self.logits(ws, 3..<7)
            let exact = Self.fullLogits(model, inside, mask, 3..<7)
            let stale = relativeError(cached, exact), moved = relativeError(cached, before)
            #expect(moved > 1e-3, "\(name): the block's own change is seen (moved \(moved))")
            #expect(stale > 1e-6, "\(name): the other positions' keys are stale (distance to the full forward \(stale))")
        }
    }
}
