import Base
import DLLM
import Kernels
import TestSupport
import Testing

/// LoRA adapters inside the model: logits against the base, gradients against finite differences,
/// a frozen base, a bfloat16 base, and the memory the adapters add.
@Suite struct LoRAModelTests {
    /// Every module targeted, rank 4 (tiny's k_proj and v_proj are [16, 32]), scale 1.5.
    static let everyTarget = LoRAConfig(rank: 4, alpha: 6, targetModules: Set(LoRATarget.allCases))
    /// Tokens of the gradient checks: two sequences of 10, the second ending in 3 padding keys.
    static let seq = 10
    /// Real positions of both sequences, plus one row selected twice.
    static let rows: [Int32] = [1, 4, 7, 9, 10, 13, 15, 4]

    /// Sets every adapter value (A and B) uniform in [-0.3, 0.3], so B is far from zero.
    private func randomizeAdapters(_ model: LoRAModel, seed: UInt64) {
        var rng = CounterRandom(seed: seed, purpose: .test)
        for j in 0..<model.adapters.count { model.adapters.pointer[j] = 0.3 * (2 * rng.nextFloat() - 1) }
    }

    /// The logits of the last forward in `ws`.
    private func logits(_ ws: Workspace) -> [Float] {
        Array(UnsafeBufferPointer(start: ws.logits, count: ws.batch * ws.seq * ws.config.vocabSize))
    }

    /// Targets and weights of `sum_i w_i log p(target_i | row_i)` over ``rows``.
    private func objective(_ config: ModelConfig) -> (targets: [Int32], weights: [Double]) {
        var rng = CounterRandom(seed: 13, purpose: .test)
        let targets = Self.rows.map { _ in Int32(rng.next() % UInt64(config.vocabSize)) }
        let weights = Self.rows.map { _ in 2 * rng.nextDouble() - 0.5 }
        return (targets, weights)
    }

    /// The gradient of the objective through any trainable model's own forward and backward, added
    /// to a buffer pre-filled with `prefill`.
    private func gradient(_ model: some TrainableModel, tokens: [Int32], mask: [UInt8]) -> FlatBuffer {
        let config = model.config, (targets, weights) = objective(config)
        let ws = model.makeWorkspace(batch: 2, seq: Self.seq)
        model.forward(tokens: tokens, keyMask: mask, workspace: ws)
        ws.zeroLogitGradients()
        tokenLogProbBackward(logits: ws.logits, vocab: config.vocabSize, rows: Self.rows, targets: targets,
                             count: Self.rows.count, dLogProbs: weights.map(Float.init), dLogits: ws.dLogits)
        let gradients = FlatBuffer(count: model.trainableParameters.count)
        gradients.buffer.update(repeating: 0.25)
        model.backward(workspace: ws, gradients: gradients)
        return gradients
    }

    /// With B = 0 (PEFT's initialisation) the adapted model's logits are the base model's, bit for
    /// bit; with the adapters off they are too, whatever the adapters hold.
    @Test func zeroBAndAdaptersOffGiveTheBaseLogitsExactly() throws {
        let base = try randomTinyModel(seed: 21)
        let lora = try LoRAModel(base: .f32(base), lora: Self.everyTarget, seed: 3)
        let (tokens, mask) = paddedBatch(config: base.config, seq: Self.seq, padding: 3, seed: 22)
        let plain = Workspace(config: base.config, batch: 2, seq: Self.seq)
        modelForward(base, tokens: tokens, keyMask: mask, workspace: plain)
        let expected = logits(plain)

        let ws = lora.makeWorkspace(batch: 2, seq: Self.seq)
        #expect(lora.adapters.buffer.contains { $0 != 0 })
        lora.forward(tokens: tokens, keyMask: mask, workspace: ws)
        #expect(logits(ws) == expected)

        randomizeAdapters(lora, seed: 23)
        lora.forward(tokens: tokens, keyMask: mask, workspace: ws, adapters: .off)
        #expect(logits(ws) == expected)
        // A workspace without room for adapters serves a pass with the adapters off.
        lora.forward(tokens: tokens, keyMask: mask, workspace: plain, adapters: .off)
        #expect(logits(plain) == expected)
        lora.forward(tokens: tokens, keyMask: mask, workspace: ws, adapters: .on)
        let change = zip(logits(ws), expected).map { abs($0 - $1) }.max() ?? 0
        #expect(change > 0.01, "the adapters change the logits by at most \(change)")
    }

    /// The gradients of A and B of every targeted layer against central differences of the Double
    /// reference model with merged weights `W + scale * B A`; GQA (tiny has 2 kv heads for 4 heads),
    /// padding keys and B far from zero.
    @Test func adapterGradientsMatchFiniteDifferences() throws {
        let base = try randomTinyModel(seed: 11)
        let config = base.config
        let lora = try LoRAModel(base: .f32(base), lora: Self.everyTarget, seed: 5)
        randomizeAdapters(lora, seed: 12)
        let (tokens, mask) = paddedBatch(config: config, seq: Self.seq, padding: 3, seed: 12)
        let gradients = gradient(lora, tokens: tokens, mask: mask)

        let reference = ReferenceModel(config: config)
        let (targets, weights) = objective(config)
        let baseParameters = base.parameters.array.map(Double.init)
        var adapters = lora.adapters.array.map(Double.init)
        func loss() -> Double {
            let merged = mergedWeights(base: baseParameters, baseLayout: base.layout, adapters: adapters,
                                       layout: lora.layout)
            return reference.weightedLogProb(parameters: merged, tokens: tokens, mask: mask, batch: 2, seq: Self.seq,
                                             rows: Self.rows, targets: targets, weights: weights)
        }
        for entry in lora.layout.entries {
            var analytic: [Double] = [], numeric: [Double] = []
            for s in 0..<6 {
                let j = entry.offset + (s * 7919 + 13) % entry.count
                let saved = adapters[j], h = 1e-5
                adapters[j] = saved + h
                let plus = loss()
                adapters[j] = saved - h
                let minus = loss()
                adapters[j] = saved
                numeric.append((plus - minus) / (2 * h))
                analytic.append(Double(gradients.pointer[j]) - 0.25)
            }
            let error = relativeError(analytic, numeric)
            #expect(error < 1e-4, "\(entry.name): relative error \(error)")
            #expect(numeric.contains { abs($0) > 1e-4 }, "\(entry.name): gradient \(numeric) is trivially zero")
        }
    }

    /// The base weights are read, never written; the adapters too; a gradient buffer of the
    /// adapters' size is all the backward takes; and the workspace grows by exactly one
    /// `[rows, rank]` hidden per adapted layer plus one scratch of that size.
    @Test func theBaseIsFrozenAndTheAdaptersAddOnlyTheirHiddens() throws {
        let base = try randomTinyModel(seed: 31)
        let config = base.config, before = base.parameters.array
        let lora = try LoRAModel(base: .f32(base), lora: Self.everyTarget, seed: 6)
        randomizeAdapters(lora, seed: 32)
        let adaptersBefore = lora.adapters.array
        let (tokens, mask) = paddedBatch(config: config, seq: Self.seq, padding: 3, seed: 33)
        let gradients = gradient(lora, tokens: tokens, mask: mask)
        #expect(base.parameters.array == before)
        #expect(lora.adapters.array == adaptersBefore)
        #expect(gradients.count == lora.layout.totalCount)
        #expect(lora.trainableParameters === lora.adapters)
        #expect(lora.trainableLayout.entries == lora.layout.entries)
        #expect(gradients.count < base.layout.totalCount, "\(gradients.count) adapter values, base \(base.layout.totalCount)")

        let rows = 2 * Self.seq, hidden = (rows * Self.everyTarget.rank + 15) / 16 * 16
        let adapted = lora.makeWorkspace(batch: 2, seq: Self.seq), plain = Workspace(config: config, batch: 2, seq: Self.seq)
        let added = adapted.byteCount - plain.byteCount
        #expect(added == (config.nLayers * LoRATarget.allCases.count + 1) * hidden * MemoryLayout<Float>.stride)
    }

    /// The full fine-tune through ``TrainableModel`` is ``modelBackward(_:workspace:gradients:)``, bit for bit.
    @Test func aModelTrainsAllItsWeightsThroughTheSameInterface() throws {
        let model = try randomTinyModel(seed: 41)
        let (tokens, mask) = paddedBatch(config: model.config, seq: Self.seq, padding: 3, seed: 42)
        let viaProtocol = gradient(model, tokens: tokens, mask: mask)
        #expect(model.trainableParameters === model.parameters)
        let (targets, weights) = objective(model.config)
        let ws = Workspace(config: model.config, batch: 2, seq: Self.seq)
        modelForward(model, tokens: tokens, keyMask: mask, workspace: ws)
        ws.zeroLogitGradients()
        tokenLogProbBackward(logits: ws.logits, vocab: model.config.vocabSize, rows: Self.rows, targets: targets,
                             count: Self.rows.count, dLogProbs: weights.map(Float.init), dLogits: ws.dLogits)
        let direct = FlatBuffer(count: model.layout.totalCount)
        direct.buffer.update(repeating: 0.25)
        modelBackward(model, workspace: ws, gradients: direct)
        #expect(viaProtocol.array == direct.array)
    }

    /// A bfloat16 base gives the logits and adapter gradients of an F32 base holding the same
    /// (bfloat16-rounded) weights; the head is widened in row chunks in both passes.
    @Test func aBFloat16BaseMatchesTheF32BaseOnTheSameWeights() throws {
        let config = BF16ModelTests.config
        let full = roundToBFloat16(randomModel(config: config, seed: 51))
        let lora = LoRAConfig(rank: 4, alpha: 8, targetModules: [.q, .v, .attnOut, .up, .ffOut])
        let f32 = try LoRAModel(base: .f32(full), lora: lora, seed: 7)
        randomizeAdapters(f32, seed: 52)
        let copy = FlatBuffer(count: f32.adapters.count)
        copy.copy(from: f32.adapters)
        let bf16 = try LoRAModel(base: .bf16(BF16Model(model: full)), lora: lora, adapters: copy)
        let (tokens, mask) = paddedBatch(config: config, seq: Self.seq, padding: 3, seed: 53)

        let ws32 = f32.makeWorkspace(batch: 2, seq: Self.seq), ws16 = bf16.makeWorkspace(batch: 2, seq: Self.seq)
        f32.forward(tokens: tokens, keyMask: mask, workspace: ws32)
        bf16.forward(tokens: tokens, keyMask: mask, workspace: ws16)
        let (a, b) = (logits(ws32), logits(ws16))
        let scale = a.map(abs).max() ?? 0
        let maxDiff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        #expect(scale > 0.1 && maxDiff < 1e-5 * max(1, scale), "max abs difference \(maxDiff), logits up to \(scale)")

        let g32 = gradient(f32, tokens: tokens, mask: mask), g16 = gradient(bf16, tokens: tokens, mask: mask)
        let error = relativeError(g16.array.map { Double($0) - 0.25 }, g32.array.map { Double($0) - 0.25 })
        #expect(error < 1e-5, "adapter gradients: relative error \(error)")
    }

    /// A runner samples from the adapted model (every position or some) or, adapters off, from the base.
    @Test func runnersRunTheAdaptedModelOrItsBase() throws {
        let base = try randomTinyModel(seed: 61)
        let lora = try LoRAModel(base: .f32(base), lora: LoRAConfig(rank: 2, alpha: 4), seed: 8)
        randomizeAdapters(lora, seed: 62)
        let (tokens, mask) = paddedBatch(config: base.config, seq: Self.seq, padding: 3, seed: 63)
        let v = base.config.vocabSize, count = 2 * Self.seq * v
        let ws = lora.makeWorkspace(batch: 2, seq: Self.seq)
        lora.forward(tokens: tokens, keyMask: mask, workspace: ws)
        let adapted = logits(ws)

        let runner = ModelRunner(model: lora)
        #expect(Array(UnsafeBufferPointer(start: runner.logits(tokens: tokens, keyMask: mask, batch: 2, seq: Self.seq),
                                          count: count)) == adapted)
        let some = runner.logits(tokens: tokens, keyMask: mask, batch: 2, seq: Self.seq, positions: 3..<6)
        var maxDiff: Float = 0
        for s in 0..<2 {
            for i in 3..<6 {
                for j in 0..<v { maxDiff = max(maxDiff, abs(some[(s * Self.seq + i) * v + j] - adapted[(s * Self.seq + i) * v + j])) }
            }
        }
        #expect(maxDiff < 1e-5, "positions 3..<6: max abs difference \(maxDiff)")

        let off = ModelRunner(model: lora.baseOnly), plain = ModelRunner(model: base)
        let a = Array(UnsafeBufferPointer(start: off.logits(tokens: tokens, keyMask: mask, batch: 2, seq: Self.seq), count: count))
        let b = Array(UnsafeBufferPointer(start: plain.logits(tokens: tokens, keyMask: mask, batch: 2, seq: Self.seq), count: count))
        #expect(a == b)
        #expect(a != adapted)
    }
}

/// The base weights with every adapter merged in, `W + scale * B A`, in Double.
///
/// Adapter `base_model.model.<name>.lora_A.weight` belongs to base weight `<name>.weight`.
private func mergedWeights(base: [Double], baseLayout: ParameterLayout, adapters: [Double],
                           layout: AdapterLayout) -> [Double] {
    var merged = base
    let scale = layout.lora.alpha / Double(layout.lora.rank), r = layout.lora.rank
    for entry in layout.entries where entry.name.hasSuffix(".lora_A.weight") {
        let module = String(entry.name.dropFirst("base_model.model.".count).dropLast(".lora_A.weight".count))
        guard let weight = baseLayout[module + ".weight"],
              let b = layout[String(entry.name.dropLast("A.weight".count)) + "B.weight"] else {
            Issue.record("no base weight or B for \(entry.name)")
            continue
        }
        let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        for o in 0..<outFeatures {
            for i in 0..<inFeatures {
                var sum = 0.0
                for k in 0..<r { sum += adapters[b.offset + o * r + k] * adapters[entry.offset + k * inFeatures + i] }
                merged[weight.offset + o * inFeatures + i] += scale * sum
            }
        }
    }
    return merged
}
