import Base

/// The masks of LLaDA's supervised (SFT / pre-training) loss (docs/algorithm.md §2).
///
/// For each example: `t ~ U(0, 1)`, `p = (1 - eps) t + eps`, each response token (EOS padding
/// included) masked independently with probability p, and each masked token weighted `1 / (p L)`
/// with L the response length. The loss of a batch of N examples is then
/// `-(1/N) sum_examples sum_masked weight * log p(target)` (``supervisedLoss(_:logits:vocab:examples:)``),
/// exactly LLaDA's `sum(CE / p_mask / answer_length) / batch_size`.
///
/// Randomness: example `exampleIndex` of optimiser step `step` uses
/// `CounterRandom(seed:, purpose: .sftMask, step, exampleIndex)`: `t = nextDouble()` (in [0, 1)),
/// then for each response position i in order `u_i = nextDouble()`, masked iff `u_i < p`.
public struct SupervisedMasking: Sendable, Equatable {
    /// LLaDA's floor on the mask probability.
    public static let defaultEpsilon = 1e-3

    /// The `[MASK]` token id.
    public var maskTokenID: Int32
    /// eps: the mask probability is `(1 - eps) t + eps`.
    public var epsilon: Double
    /// The run seed.
    public var seed: UInt64

    /// Creates the masking.
    public init(maskTokenID: Int32, seed: UInt64, epsilon: Double = SupervisedMasking.defaultEpsilon) {
        self.maskTokenID = maskTokenID
        self.seed = seed
        self.epsilon = epsilon
    }

    /// The masked copy of (`prompt`, `response`) for example `exampleIndex` of step `step`.
    public func sample(prompt: [Int32], response: [Int32], step: UInt64, exampleIndex: UInt64) -> MaskedSample {
        precondition(!response.isEmpty, "SupervisedMasking: empty response")
        var rng = CounterRandom(seed: seed, purpose: .sftMask, step, exampleIndex)
        let t = rng.nextDouble()
        let p = (1 - epsilon) * t + epsilon
        var positions: [Int] = []
        for i in 0..<response.count where rng.nextDouble() < p {
            positions.append(i)
        }
        return MaskedSample(prompt: prompt, response: response, maskedResponsePositions: positions,
                            weight: Float(1 / (p * Double(response.count))), maskRatio: p,
                            maskTokenID: maskTokenID)
    }
}
