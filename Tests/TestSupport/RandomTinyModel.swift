import Base
import DLLM

/// A `tiny` model with weights far from the near-uniform default initialisation, so that
/// attention is far from uniform: matrices uniform in [-0.4, 0.4], embedding in [-1, 1], norm
/// weights in [0.7, 1.3].
public func randomTinyModel(seed: UInt64) throws -> Model {
    randomModel(config: try ModelConfig.preset("tiny"), seed: seed)
}

/// A model of shape `config` (which must pass `validate()`) with the weights of ``randomTinyModel(seed:)``.
public func randomModel(config: ModelConfig, seed: UInt64) -> Model {
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

/// `model` with every weight rounded to bfloat16 (in place), so that a ``BF16Model`` of it holds the
/// same numbers.
@discardableResult
public func roundToBFloat16(_ model: Model) -> Model {
    let bits = UnsafeMutableRawPointer(model.parameters.pointer).assumingMemoryBound(to: UInt32.self)
    for i in 0..<model.parameters.count { bits[i] = UInt32(bfloat16Bits(bits[i])) << 16 }
    return model
}
