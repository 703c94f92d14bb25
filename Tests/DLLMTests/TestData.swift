import Base
import DLLM

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
