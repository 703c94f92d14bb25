import Base

/// Which Monte-Carlo estimator of the ELBO `B(y|x)` a set of likelihood samples follows
/// (docs/algorithm.md §2). All mask the response only, never the prompt.
///
/// Expectations, for a response of length L with per-token log-probabilities `log p(y_i | x, y_M)`
/// when the positions M are masked:
/// - ``continuous``: `E_t E_M [(1/t) sum_{i in M} log p]`, t ~ U(0, 1], each token masked with
///   probability t. Equals `sum_M [1/(|M| C(L,|M|))] sum_{i in M} log p`, the ELBO.
/// - ``stratified``: `E_l E_{|M|=l} [(L/l) sum_{i in M} log p]`, l uniform in 1...L; the same ELBO
///   (LLaDA's likelihood code). Samples of one response share one offset (see
///   ``LikelihoodMasking/stratifiedMaskCounts(offset:responseLength:samples:)``), which lowers the
///   variance of their mean.
///
/// ``LikelihoodMasking/normalizedByLength`` divides either estimator's term by L; for the
/// stratified one that is weight `1/l` per masked token, the mean log-probability of the masked
/// tokens. The reference BGPO code does this (it divides each sample's term by the response
/// length); the scale is the ELBO's divided by L, which changes the effective learning rate and the
/// size of `exp(d_j)` in the RL objectives, not the optimum.
public enum ELBOEstimator: String, Codable, Sendable, CaseIterable {
    /// Stratified mask counts l_i, exactly l_i positions masked, weight L/l_i.
    case stratified
    /// t ~ U(0, 1], Bernoulli(t) masks, weight 1/t.
    case continuous
}

/// Draws the masked copies of a response for a Monte-Carlo ELBO estimate.
///
/// Randomness: sample j of the response keyed (step, promptIndex, responseIndex) uses the stream
/// `CounterRandom(seed:, purpose: .likelihoodMask, step, promptIndex, responseIndex, j)`; the
/// stratified offset k shared by the n_t samples of one response comes from the stream without
/// the last index, `CounterRandom(seed:, purpose: .likelihoodMask, step, promptIndex, responseIndex)`,
/// as `k = 1 + nextIndex(below: L)`. Any sample can be drawn alone, by any rank, in any order.
///
/// Draws within sample j:
/// - continuous: `t = nextOpenDouble()` (in (0, 1]); then for each response position i in order,
///   `u_i = nextDouble()`, masked iff `u_i < t`. Weight 1/t (a sample may mask nothing; its term is 0).
/// - stratified: l_j from the shared offset; the positions are `nextSubset(count: l_j, of: L)`.
public struct LikelihoodMasking: Sendable, Equatable {
    /// The estimator the samples follow.
    public var estimator: ELBOEstimator
    /// Whether each sample's term is divided by the response length L (weight `1/l` for the
    /// stratified estimator, `(1/t)·(1/L)` for the continuous one).
    public var normalizedByLength: Bool
    /// n_t: masked copies per response (the stratification group size b).
    public var samples: Int
    /// The `[MASK]` token id.
    public var maskTokenID: Int32
    /// The run seed.
    public var seed: UInt64

    /// Creates the masking for `samples` copies per response.
    public init(estimator: ELBOEstimator, normalizedByLength: Bool = false, samples: Int, maskTokenID: Int32,
                seed: UInt64) {
        precondition(samples > 0, "LikelihoodMasking: samples must be positive, got \(samples)")
        self.estimator = estimator
        self.normalizedByLength = normalizedByLength
        self.samples = samples
        self.maskTokenID = maskTokenID
        self.seed = seed
    }

    /// Masked copy `mcIndex` (0..<samples) of `response` after `prompt`.
    public func sample(prompt: [Int32], response: [Int32], step: UInt64, promptIndex: UInt64,
                       responseIndex: UInt64, mcIndex: Int) -> MaskedSample {
        precondition(mcIndex >= 0 && mcIndex < samples, "LikelihoodMasking: mcIndex \(mcIndex) not in 0..<\(samples)")
        let length = response.count
        precondition(length > 0, "LikelihoodMasking: empty response")
        var rng = CounterRandom(seed: seed, purpose: .likelihoodMask, step, promptIndex, responseIndex, UInt64(mcIndex))
        switch estimator {
        case .continuous:
            let t = rng.nextOpenDouble()
            var positions: [Int] = []
            for i in 0..<length where rng.nextDouble() < t {
                positions.append(i)
            }
            let weight = normalizedByLength ? Float(1 / t) * (1 / Float(length)) : Float(1 / t)
            return MaskedSample(prompt: prompt, response: response, maskedResponsePositions: positions,
                                weight: weight, maskRatio: t, maskTokenID: maskTokenID)
        case .stratified:
            var group = CounterRandom(seed: seed, purpose: .likelihoodMask, step, promptIndex, responseIndex)
            let offset = 1 + group.nextIndex(below: length)
            let count = Self.stratifiedMaskCount(offset: offset, responseLength: length, samples: samples, index: mcIndex)
            let weight = normalizedByLength ? 1 / Float(count) : Float(length) / Float(count)
            return MaskedSample(prompt: prompt, response: response,
                                maskedResponsePositions: rng.nextSubset(count: count, of: length),
                                weight: weight, maskRatio: Double(count) / Double(length), maskTokenID: maskTokenID)
        }
    }

    /// All ``samples`` masked copies of `response` after `prompt`, in MC-index order.
    public func samples(prompt: [Int32], response: [Int32], step: UInt64, promptIndex: UInt64,
                        responseIndex: UInt64) -> [MaskedSample] {
        (0..<samples).map {
            sample(prompt: prompt, response: response, step: step, promptIndex: promptIndex,
                   responseIndex: responseIndex, mcIndex: $0)
        }
    }

    /// The stratified mask counts of one response: `l_i = round(k + i*L/b)` wrapped into 1...L.
    ///
    /// This is LLaDA's `forward_process` (get_log_likelihood.py, also the BGPO reference's
    /// `_forward_process_bgpo`): `x = round(linspace(k, k + (b-1)*L/b, b)); x = ((x - 1) % L) + 1`.
    /// `torch.round` rounds halves to even, and so does this function, computed exactly in integers.
    /// (The reference evaluates linspace in float32, which can push an exact half either way; the two
    /// agree whenever `2*i*L/b` is not an odd integer, e.g. whenever b divides L.) When
    /// `i*L/b` is an exact half-integer, half-to-even rounding makes the marginal of l_i
    /// non-uniform (L = 5, b = 2: l_1 is 4, 4, 1, 1, 3 for k = 1...5), so the reference estimator is
    /// then slightly biased; with b dividing L it is unbiased.
    ///
    /// - Parameters:
    ///   - offset: k in 1...L.
    ///   - responseLength: L > 0.
    ///   - samples: b > 0.
    public static func stratifiedMaskCounts(offset: Int, responseLength: Int, samples: Int) -> [Int] {
        (0..<samples).map {
            stratifiedMaskCount(offset: offset, responseLength: responseLength, samples: samples, index: $0)
        }
    }

    /// l_i of ``stratifiedMaskCounts(offset:responseLength:samples:)`` for one i.
    static func stratifiedMaskCount(offset k: Int, responseLength length: Int, samples b: Int, index i: Int) -> Int {
        precondition(k >= 1 && k <= length && b > 0, "stratified mask count: offset \(k) not in 1...\(length) or samples \(b) < 1")
        // k + i*L/b = numerator / b, rounded half to even.
        let numerator = k * b + i * length
        var rounded = numerator / b
        let twiceRemainder = 2 * (numerator % b)
        if twiceRemainder > b || (twiceRemainder == b && rounded % 2 == 1) {
            rounded += 1
        }
        return (rounded - 1) % length + 1
    }
}
