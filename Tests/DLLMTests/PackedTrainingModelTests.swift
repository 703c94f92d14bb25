import Base
import DLLM
import Kernels
import TestSupport
import Testing

@Suite(.enabled(if: ProductPrecision.f32.isSupported, "this CPU has no AVX-512"))
struct PackedTrainingModelTests {
    /// Odd widths, grouped keys and values, a head wider than one 64-column panel.
    static let config = ModelConfig(dModel: 24, nLayers: 2, nHeads: 4, nKVHeads: 2, mlpHidden: 37, vocabSize: 70,
                                    maxSeq: 16, maskTokenID: 1, eosTokenID: 0, padTokenID: 0)
    /// Three sequences of five tokens, one with a padding key.
    static let tokens: [Int32] = [2, 7, 69, 1, 1, 0, 5, 9, 3, 3, 4, 1, 1, 8, 60]
    static let mask: [UInt8] = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]

    /// The logits and the gradient of a fixed logit gradient, through `model`'s passes.
    private func pass(_ model: any TrainableModel) -> (logits: [Float], gradients: [Float]) {
        let ws = model.makeWorkspace(batch: 3, seq: 5)
        model.forward(tokens: Self.tokens, keyMask: Self.mask, workspace: ws)
        let count = 15 * Self.config.vocabSize
        let logits = Array(UnsafeBufferPointer(start: ws.logits, count: count))
        for i in 0..<count { ws.dLogits[i] = Float((i * 37) % 11) / 10 - 0.5 }
        let gradients = FlatBuffer(count: model.trainableParameters.count)
        model.backward(workspace: ws, gradients: gradients)
        return (logits, gradients.array)
    }

    private func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        let diff = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        return (diff / b.reduce(0.0) { $0 + Double($1) * Double($1) }).squareRoot()
    }

    /// The plain passes' logits and gradients up to F32 summation order, every weight's gradient
    /// among them (the input gradients reach the first block and the embedding).
    @Test func passesAreThePlainPassesUpToRounding() throws {
        let model = Model(config: Self.config, seed: 10)
        let packed = trainingPasses(of: model)
        #expect(packed is PackedTrainingModel)
        let plain = pass(model), fast = pass(packed)
        #expect(relativeDifference(fast.logits, plain.logits) < 1e-6)
        #expect(relativeDifference(fast.gradients, plain.gradients) < 1e-5)
        // Per tensor too: a tensor left out would be lost in the whole vector's norm.
        for entry in model.layout.entries {
            let range = entry.offset..<(entry.offset + entry.count)
            let difference = relativeDifference(Array(fast.gradients[range]), Array(plain.gradients[range]))
            #expect(difference < 1e-4, "\(entry.name): relative difference \(difference)")
        }
    }

    /// With several BLAS threads the products share their rows: the logits and gradients of one
    /// thread, bit for bit (the weights' gradients run through OpenBLAS, which splits no sum).
    @Test func threadsGiveTheResultOfOne() {
        let packed = trainingPasses(of: Model(config: Self.config, seed: 11))
        func result(threads: Int) -> (logits: [Float], gradients: [Float]) {
            let saved = BLAS.threads
            BLAS.setThreads(threads)
            defer { BLAS.setThreads(saved) }
            return pass(packed)
        }
        let one = result(threads: 1), three = result(threads: 3)
        #expect(one.logits == three.logits && one.gradients == three.gradients)
    }
}
