extension ModelConfig {
    /// Parameters that take part in matrix products: every matrix except the embedding (a lookup),
    /// i.e. the block projections and the output head.
    public var matmulParameterCount: Int {
        let d = dModel, kvd = nKVHeads * headDim
        let block = d * d * 2 + kvd * d * 2 + 3 * d * mlpHidden
        return nLayers * block + vocabSize * d
    }

    /// Forward FLOPs per token for sequences of `seq` tokens: `2 N` for the matrix products plus
    /// `4 L seq d` for the bidirectional attention scores and their weighted sum.
    public func forwardFLOPsPerToken(seq: Int) -> Double {
        2 * Double(matmulParameterCount) + 4 * Double(nLayers) * Double(seq) * Double(dModel)
    }

    /// Forward plus backward FLOPs per token: `6 N + 12 L seq d` (the backward costs twice the forward).
    public func trainingFLOPsPerToken(seq: Int) -> Double {
        3 * forwardFLOPsPerToken(seq: seq)
    }
}
