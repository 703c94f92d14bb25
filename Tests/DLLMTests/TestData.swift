import DLLM
import Kernels

/// A `tiny` model with weights large enough to make attention far from uniform: matrices uniform in
/// [-0.4, 0.4], embedding in [-1, 1], norm weights in [0.7, 1.3].
func randomTinyModel(seed: UInt64) throws -> Model {
    let config = try ModelConfig.preset("tiny")
    let layout = ParameterLayout(config: config)
    let parameters = FlatBuffer(count: layout.totalCount)
    for (i, entry) in layout.entries.enumerated() {
        var rng = CounterRandom(seed: seed, purpose: .test, UInt64(i))
        let isNorm = entry.shape.count == 1, isEmbedding = entry.name.hasSuffix("wte.weight")
        for j in 0..<entry.count {
            let u = 2 * rng.nextFloat() - 1
            parameters.pointer[entry.offset + j] = isNorm ? 1 + 0.3 * u : (isEmbedding ? u : 0.4 * u)
        }
    }
    return Model(config: config, parameters: parameters)
}

/// Two sequences of `seq` random tokens; the second ends in `padding` padding keys (mask 0, pad token).
func paddedBatch(config: ModelConfig, seq: Int, padding: Int, seed: UInt64) -> (tokens: [Int32], mask: [UInt8]) {
    var rng = CounterRandom(seed: seed, purpose: .test)
    var tokens = (0..<(2 * seq)).map { _ in Int32(rng.next() % UInt64(config.vocabSize)) }
    var mask = [UInt8](repeating: 1, count: 2 * seq)
    for i in (2 * seq - padding)..<(2 * seq) {
        mask[i] = 0
        tokens[i] = config.padTokenID
    }
    return (tokens, mask)
}

/// `||a - b|| / ||b||`.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    var diff = 0.0, norm = 0.0
    for i in a.indices {
        diff += (a[i] - b[i]) * (a[i] - b[i])
        norm += b[i] * b[i]
    }
    return (diff / norm).squareRoot()
}

extension FlatBuffer {
    /// The elements as an array.
    var array: [Float] { Array(buffer) }
}
