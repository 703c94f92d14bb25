import Base
import DLLM

/// A `tiny` model with weights far from the near-uniform default initialisation, so that
/// attention is far from uniform: matrices uniform in [-0.4, 0.4], embedding in [-1, 1], norm
/// weights in [0.7, 1.3].
public func randomTinyModel(seed: UInt64) throws -> Model {
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
