import DLLM
import Kernels
import Testing

@Suite struct BF16ModelTests {
    /// A model whose weights are exactly representable in bfloat16, so both forwards see the same numbers.
    private func roundedModel(_ config: ModelConfig) -> Model {
        let model = Model(config: config, seed: 5)
        let bits = UnsafeMutableRawPointer(model.parameters.pointer).assumingMemoryBound(to: UInt32.self)
        for i in 0..<model.parameters.count { bits[i] = UInt32(bfloat16Bits(bits[i])) << 16 }
        return model
    }

    @Test func bf16ForwardMatchesTheF32ForwardOnTheSameWeights() throws {
        // Vocabulary * d_model exceeds the largest block matrix, so the head is multiplied in row chunks.
        let config = ModelConfig(dModel: 16, nLayers: 2, nHeads: 4, nKVHeads: 2, mlpHidden: 24, vocabSize: 300, maxSeq: 16,
                                 maskTokenID: 1, eosTokenID: 0, padTokenID: 0)
        let model = roundedModel(config)
        let half = BF16Model(model: model)
        #expect(half.storage.count == model.parameters.count)
        let tokens: [Int32] = [2, 7, 299, 1, 1, 0, 5, 9, 3, 3]
        let mask: [UInt8] = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1]
        let full = ModelRunner(model: model), reduced = ModelRunner(model: half)
        let a = Array(UnsafeBufferPointer(start: full.logits(tokens: tokens, keyMask: mask, batch: 2, seq: 5), count: 10 * 300))
        let b = Array(UnsafeBufferPointer(start: reduced.logits(tokens: tokens, keyMask: mask, batch: 2, seq: 5), count: 10 * 300))
        let maxDiff = zip(a, b).map { abs($0 - $1) }.max()!
        #expect(maxDiff < 1e-5, "max abs difference \(maxDiff)")
    }
}
