import Base
import DLLM
import Foundation
import RunConfig

/// One response as diffu-GRPO sees it: per-token log-probabilities from a single pass.
public struct TokenPolicyResponse: Sendable {
    /// The prompt's tokens (BOS included).
    public var prompt: [Int32]
    /// The response's L tokens (EOS padding included).
    public var response: [Int32]
    /// Its advantage A.
    public var advantage: Double
    /// The indices of its prompt-mask stream: (step, global prompt index, response index).
    public var key: [UInt64]
    /// The number of scored tokens: up to and including the first EOS (all L without one).
    public let scoredLength: Int
    /// The old policy's log-probabilities of the scored tokens under this iteration's mask;
    /// nil when the current parameters are the old ones.
    public var oldLogProbs: [Float]?
    /// The frozen reference policy's log-probabilities under this iteration's mask (beta > 0).
    public var referenceLogProbs: [Float]?

    /// Creates a response; `eosTokenID` ends the scored tokens.
    public init(prompt: [Int32], response: [Int32], advantage: Double, key: [UInt64], eosTokenID: Int32) {
        self.prompt = prompt
        self.response = response
        self.advantage = advantage
        self.key = key
        scoredLength = Self.scoredLength(of: response, eosTokenID: eosTokenID)
    }

    /// The number of tokens of `response` up to and including its first EOS (all without one):
    /// the tokens diffu-GRPO scores and `completions/mean_length` counts.
    public static func scoredLength(of response: [Int32], eosTokenID: Int32) -> Int {
        (response.firstIndex(of: eosTokenID) ?? (response.count - 1)) + 1
    }
}

/// d1's diffu-GRPO (docs/algorithm.md §6): one forward pass per response with every response token
/// masked and each prompt token masked with probability `p_mask_prompt`, token-level PPO with a
/// k3 KL penalty against a frozen reference policy.
///
/// Per scored token: `-min(rho A, clip(rho, 1-eps, 1+eps) A) + beta * (exp(ref - logp) - (ref - logp) - 1)`,
/// `rho = exp(logp - logp_old)`. ``accumulate(model:responses:iteration:gradients:)`` adds the
/// gradient of the sum over tokens, each token weighted by ``tokenWeight(of:)``; the trainer
/// divides by ``units(of:completionLength:)`` summed over the mini-batch
/// on every rank (``lossType``; the default `bnpo` is d1's `sum(loss * mask) / sum(mask)`).
public final class DiffuGRPOObjective {
    /// The PPO clip epsilon.
    public let epsilon: Double
    /// The KL coefficient beta (0: no reference policy).
    public let beta: Double
    /// The probability of masking each prompt token.
    public let promptMaskProbability: Double
    /// The run seed of the prompt-mask streams.
    public let seed: UInt64
    /// The `[MASK]` token id.
    public let maskTokenID: Int32
    /// The token written at left-padding positions.
    public let padTokenID: Int32
    /// The end-of-sequence token: a response's scored tokens end at its first one.
    public let eosTokenID: Int32
    /// Responses per forward pass.
    public let microBatchSize: Int
    /// How the summed token losses are normalised.
    public let lossType: LossType
    /// The frozen reference policy of the KL term: the trainer's inputs
    /// (``inputs(of:model:iterations:offPolicy:)``) carry its log-probabilities; nil when beta is 0.
    public let reference: (any ForwardModel)?
    private let lanes: PassLanes

    /// Creates the objective; `reference` is kept only when `beta > 0`. Its micro-batches' passes
    /// run side by side on up to `lanes` threads (``PassLanes``).
    public init(epsilon: Double, beta: Double, promptMaskProbability: Double, seed: UInt64, maskTokenID: Int32,
                padTokenID: Int32, eosTokenID: Int32, microBatchSize: Int, lossType: LossType = .bnpo,
                reference: (any ForwardModel)? = nil, lanes: Int = 1) {
        precondition(microBatchSize > 0, "DiffuGRPOObjective: micro-batch size must be positive")
        self.lanes = PassLanes(lanes: lanes)
        self.lossType = lossType
        self.reference = beta > 0 ? reference : nil
        self.eosTokenID = eosTokenID
        self.epsilon = epsilon
        self.beta = beta
        self.promptMaskProbability = promptMaskProbability
        self.seed = seed
        self.maskTokenID = maskTokenID
        self.padTokenID = padTokenID
        self.microBatchSize = microBatchSize
    }

    /// The weight of each scored token of `response` in the summed loss: `1 / scoredLength` for
    /// `grpo` (the response's mean), 1 otherwise.
    public func tokenWeight(of response: TokenPolicyResponse) -> Double {
        lossType == .grpo ? 1 / Double(response.scoredLength) : 1
    }

    /// What the weighted token-loss sum of a mini-batch is divided by: its responses (`grpo`),
    /// its scored tokens (`bnpo`), or responses × `completionLength` (`dr_grpo`).
    public static func units(lossType: LossType, responses: Int, scoredTokens: Int, completionLength: Int) -> Double {
        switch lossType {
        case .grpo: Double(responses)
        case .bnpo: Double(scoredTokens)
        case .drGRPO: Double(responses) * Double(completionLength)
        }
    }

    /// The model input of `response` in inner iteration `iteration`: each prompt token masked
    /// independently with probability `p_mask_prompt` (stream
    /// `CounterRandom(seed:, purpose: .promptMask, indices: key + [iteration])`, one `nextDouble()`
    /// per prompt position in order), every response token masked, the scored tokens as targets.
    public func maskedInput(_ response: TokenPolicyResponse, iteration: Int) -> MaskedSample {
        var random = CounterRandom(seed: seed, purpose: .promptMask, indices: response.key + [UInt64(iteration)])
        var tokens = response.prompt
        for i in tokens.indices where random.nextDouble() < promptMaskProbability {
            tokens[i] = maskTokenID
        }
        let promptLength = tokens.count
        tokens.append(contentsOf: repeatElement(maskTokenID, count: response.response.count))
        let scored = response.scoredLength
        return MaskedSample(tokens: tokens, positions: (0..<scored).map { Int32(promptLength + $0) },
                            targets: Array(response.response[0..<scored]),
                            weights: [Float](repeating: 1, count: scored), maskRatio: 1)
    }

    /// The log-probabilities of every response's scored tokens under iteration `iteration`'s mask,
    /// forward passes only (the old or the reference policy).
    public func logProbs(model: any ForwardModel, responses: [TokenPolicyResponse], iteration: Int) -> [[Float]] {
        let chunks = microBatches(responses)
        let passes = lanes.run(units: chunks.count, model: model, gradients: nil) { c, pool, _ in
            let pass = forward(chunks[c], iteration: iteration, model: model, pool: pool)
            return (0..<chunks[c].count).map { Array(pass.logProbs[pass.batch.sampleOffsets[$0]..<pass.batch.sampleOffsets[$0 + 1]]) }
        }
        return passes.flatMap { $0 }
    }

    /// Adds the gradient of the weighted sum (``tokenWeight(of:)``) of the token losses of
    /// `responses` in inner iteration `iteration` into `gradients`; `lossSum` is that sum, clip
    /// and KL statistics are per token (unweighted). The micro-batches' passes run side by side
    /// (``PassLanes``); the statistics are summed token by token in the order of one after another.
    public func accumulate(model: any TrainableModel, responses: [TokenPolicyResponse], iteration: Int,
                           gradients: FlatBuffer) -> ObjectiveStatistics {
        let chunks = microBatches(responses)
        let tokens = lanes.run(units: chunks.count, model: model, gradients: gradients) { c, pool, gradients in
            accumulate(chunks[c], iteration: iteration, model: model, pool: pool, gradients: gradients!)
        }
        var statistics = ObjectiveStatistics()
        for token in tokens.joined() {
            if let kl = token.kl {
                statistics.klSum += kl
                statistics.klCount += 1
            }
            statistics.lossSum += token.weightedLoss
            statistics.clipCandidates += 1
            if token.clipped { statistics.clippedCount += 1 }
        }
        return statistics
    }

    /// Releases the activation workspaces until the next pass.
    public func releaseWorkspaces() {
        lanes.release()
    }

    /// What one scored token adds to the statistics.
    private struct TokenTerm {
        var weightedLoss: Double
        var kl: Double?
        var clipped: Bool
    }

    /// The forward and backward pass of one micro-batch; its tokens' terms in order.
    private func accumulate(_ chunk: ArraySlice<TokenPolicyResponse>, iteration: Int, model: any TrainableModel,
                            pool: WorkspacePool, gradients: FlatBuffer) -> [TokenTerm] {
        let clip = PPOClip(epsilon: epsilon, dualClip: nil)
        let pass = forward(chunk, iteration: iteration, model: model, pool: pool)
        var terms: [TokenTerm] = []
        var dLogProbs = [Float](repeating: 0, count: pass.batch.count)
        for (b, response) in chunk.enumerated() {
            let a = response.advantage
            let weight = tokenWeight(of: response)
            for (k, i) in (pass.batch.sampleOffsets[b]..<pass.batch.sampleOffsets[b + 1]).enumerated() {
                let logp = Double(pass.logProbs[i])
                let rho = response.oldLogProbs.map { exp(logp - Double($0[k])) } ?? 1
                let (loss, clipped) = clip.loss(ratio: rho, advantage: a)
                var gradient = clipped ? 0 : -a * rho
                var value = loss
                var kl: Double?
                if beta > 0, let reference = response.referenceLogProbs {
                    let delta = Double(reference[k]) - logp
                    kl = exp(delta) - delta - 1
                    value += beta * kl!
                    gradient += beta * (1 - exp(delta))
                }
                terms.append(TokenTerm(weightedLoss: weight * value, kl: kl, clipped: clipped))
                dLogProbs[i] = Float(weight * gradient)
            }
        }
        LikelihoodPass.backward(model, pass.batch, pass.workspace, dLogProbs: dLogProbs, gradients: gradients)
        return terms
    }

    private func microBatches(_ responses: [TokenPolicyResponse]) -> [ArraySlice<TokenPolicyResponse>] {
        stride(from: 0, to: responses.count, by: microBatchSize).map {
            responses[$0..<min($0 + microBatchSize, responses.count)]
        }
    }

    private func forward(_ chunk: ArraySlice<TokenPolicyResponse>, iteration: Int, model: any ForwardModel,
                         pool: WorkspacePool) -> (batch: MaskedBatch, workspace: Workspace, logProbs: [Float]) {
        let samples = chunk.map { maskedInput($0, iteration: iteration) }
        let seq = samples.map(\.tokens.count).max()!
        let batch = MaskedBatch(samples: samples, batch: samples.count, seq: seq, padTokenID: padTokenID)
        let workspace = pool.workspaces(count: 1, model: model, batch: samples.count, seq: seq)[0]
        model.forward(batch, workspace: workspace)
        return (batch, workspace, LikelihoodPass.tokenLogProbs(model, batch, workspace))
    }
}
