/// One masked copy of a (prompt, response) sequence: what one forward pass of a likelihood or
/// supervised-loss estimate sees, and how its masked tokens are weighted.
///
/// The prompt is never masked. The per-sample term of the estimate is
/// `l = sum_i weights[i] * log p(targets[i] | tokens)` over the masked positions.
public struct MaskedSample: Sendable, Equatable {
    /// The sequence the model sees: the prompt, then the response with masked positions set to `[MASK]`.
    public var tokens: [Int32]
    /// Indices into ``tokens`` of the masked positions, ascending.
    public var positions: [Int32]
    /// The original tokens at ``positions``.
    public var targets: [Int32]
    /// The weight of each masked token's log-probability (1/t, L/l, 1/l or 1/(p L), by estimator).
    public var weights: [Float]
    /// The masking level: t (continuous), l/L (stratified) or p (supervised).
    public var maskRatio: Double

    /// Creates a sample from its parts.
    public init(tokens: [Int32], positions: [Int32], targets: [Int32], weights: [Float], maskRatio: Double) {
        precondition(positions.count == targets.count && positions.count == weights.count,
                     "MaskedSample: positions, targets and weights differ in length")
        self.tokens = tokens
        self.positions = positions
        self.targets = targets
        self.weights = weights
        self.maskRatio = maskRatio
    }

    /// Masks `positions` (indices into the response) of `response`, appended to `prompt`, all with `weight`.
    ///
    /// - Parameter positions: ascending response indices to mask.
    public init(prompt: [Int32], response: [Int32], maskedResponsePositions positions: [Int], weight: Float,
                maskRatio: Double, maskTokenID: Int32) {
        var tokens = prompt + response
        var absolute: [Int32] = []
        var targets: [Int32] = []
        absolute.reserveCapacity(positions.count)
        targets.reserveCapacity(positions.count)
        for position in positions {
            let index = prompt.count + position
            targets.append(tokens[index])
            absolute.append(Int32(index))
            tokens[index] = maskTokenID
        }
        self.init(tokens: tokens, positions: absolute, targets: targets,
                  weights: [Float](repeating: weight, count: positions.count), maskRatio: maskRatio)
    }
}
