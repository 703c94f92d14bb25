import Base

/// Overflow-checked sizes of a model shape, so that a shape too large to hold is refused before
/// anything is laid out or allocated.
extension ModelConfig {
    /// The largest value of a width or length (`d_model`, heads, `mlp_hidden_size`, `vocab_size`,
    /// `max_sequence_length`): BLAS takes its dimensions, and tokens are stored, as 32-bit integers.
    public static let maximumSize = Int(Int32.max)
    /// The largest `n_layers`: each block is a list of tensors laid out one by one.
    public static let maximumLayers = 65_536
    /// The largest parameter count: 2^40 (4 TiB of F32 weights).
    public static let maximumParameters = 1 << 40

    /// The parameter count (the ``ParameterLayout`` total), or nil when it overflows `Int`.
    public var checkedParameterCount: Int? {
        guard nHeads > 0 else { return nil }
        let d = dModel, kv = nKVHeads * (dModel / nHeads), m = mlpHidden
        let block = checkedSum(checkedProduct(2, d), checkedProduct(2, d, d), checkedProduct(2, kv, d), checkedProduct(3, m, d))
        return checkedSum(checkedProduct(2, vocabSize, d), block.flatMap { checkedProduct($0, nLayers) }, d)
    }

    /// The bytes of a ``Workspace`` for `batch` sequences of `seq` tokens (its slices without
    /// alignment padding), or nil when the count overflows `Int`.
    public func checkedWorkspaceBytes(batch: Int, seq: Int) -> Int? {
        guard nHeads > 0, let n = checkedProduct(batch, seq) else { return nil }
        let d = dModel, hd = nHeads * headDim, kvd = nKVHeads * headDim, m = mlpHidden
        let layer = checkedSum(checkedProduct(4, n, d), checkedProduct(2, n), checkedProduct(2, n, hd),
                               checkedProduct(2, n, kvd), checkedProduct(batch, nHeads, seq, seq), checkedProduct(3, n, m))
        let rest = checkedSum(checkedProduct(4, n, d), n, checkedProduct(2, n, vocabSize), checkedProduct(seq, headDim),
                              checkedProduct(2, n, hd), checkedProduct(3, n, kvd), checkedProduct(3, n, m))
        let floats = checkedSum(layer.flatMap { checkedProduct($0, nLayers) }, rest)
        return checkedSum(floats.flatMap { checkedProduct($0, MemoryLayout<Float>.stride) }, checkedProduct(n, 4))
    }

    /// Throws unless every size is within its maximum and the parameter count is at most
    /// ``maximumParameters``.
    func validateSizes() throws {
        let sizes: [(CodingKeys, Int, Int)] = [
            (.dModel, dModel, Self.maximumSize), (.nLayers, nLayers, Self.maximumLayers), (.nHeads, nHeads, Self.maximumSize),
            (.nKVHeads, nKVHeads, Self.maximumSize), (.mlpHidden, mlpHidden, Self.maximumSize),
            (.vocabSize, vocabSize, Self.maximumSize), (.maxSeq, maxSeq, Self.maximumSize),
        ]
        for (key, value, limit) in sizes where value > limit {
            throw ModelConfigError.tooLarge(field: key.rawValue, value: value, limit: limit)
        }
        guard let count = checkedParameterCount, count <= Self.maximumParameters else {
            throw ModelConfigError.tooManyParameters(count: checkedParameterCount, limit: Self.maximumParameters)
        }
    }
}
