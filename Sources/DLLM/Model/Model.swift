import Base

/// A LLaDA-style mask predictor: its configuration, its parameter layout and its weights.
public final class Model: Sendable {
    /// The model's shape.
    public let config: ModelConfig
    /// Where each named tensor lives in ``parameters``.
    public let layout: ParameterLayout
    /// All weights in one buffer, LLaDA's Hugging Face names, PyTorch `[out, in]` row-major matrices.
    public let parameters: FlatBuffer

    /// Standard deviation of the normal initialisation of every matrix.
    public static let initStd = 0.02

    /// A freshly initialised model: matrices normal with std ``initStd``, norm weights one.
    ///
    /// Tensor `i` of the layout draws from `CounterRandom(seed: seed, purpose: .initialization, i)`, so
    /// the weights depend only on the seed and the configuration. `config` must pass `validate()`.
    public convenience init(config: ModelConfig, seed: UInt64) {
        let layout = ParameterLayout(config: config)
        let parameters = FlatBuffer(count: layout.totalCount)
        for (i, entry) in layout.entries.enumerated() {
            let p = parameters.pointer + entry.offset
            if entry.shape.count == 1 {
                p.update(repeating: 1, count: entry.count)
            } else {
                var rng = CounterRandom(seed: seed, purpose: .initialization, UInt64(i))
                for j in 0..<entry.count { p[j] = Float(rng.nextGaussian() * Model.initStd) }
            }
        }
        self.init(config: config, parameters: parameters)
    }

    /// A model over existing weights; `parameters.count` must equal the layout's `totalCount`.
    public init(config: ModelConfig, parameters: FlatBuffer) {
        precondition((try? config.validate()) != nil, "Model: invalid configuration \(config)")
        let layout = ParameterLayout(config: config)
        precondition(parameters.count == layout.totalCount,
                     "Model: parameter buffer has \(parameters.count) elements, layout needs \(layout.totalCount)")
        self.config = config
        self.layout = layout
        self.parameters = parameters
    }
}
