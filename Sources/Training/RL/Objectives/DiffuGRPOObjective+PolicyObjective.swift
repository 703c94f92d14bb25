import Base
import DLLM

/// One mini-batch share as diffu-GRPO reads it: its responses and, per inner iteration and
/// response, the old and the reference policy's log-probabilities under that iteration's mask.
public struct TokenPolicyShare: Sendable {
    /// The share's responses.
    public var responses: [TokenPolicyResponse]
    /// `old[iteration][r]`: the old policy's log-probabilities, computed before the step's first
    /// update; nil when the step makes one update (always on-policy).
    public var old: [[[Float]]]?
    /// `reference[iteration][r]`: the reference policy's log-probabilities; nil without a KL term.
    public var reference: [[[Float]]]?

    /// Creates a share.
    public init(responses: [TokenPolicyResponse], old: [[[Float]]]? = nil, reference: [[[Float]]]? = nil) {
        self.responses = responses
        self.old = old
        self.reference = reference
    }
}

extension DiffuGRPOObjective: PolicyObjective {
    /// A share's token-level responses with their old and reference log-probabilities.
    public typealias Inputs = TokenPolicyShare

    /// A non-zero advantage moves the gradient; with a reference policy (beta > 0) the KL term
    /// makes every response count.
    public func entersObjective(advantage: Double) -> Bool {
        advantage != 0 || reference != nil
    }

    /// The shares' responses and, for each inner iteration (the prompt masks change with it),
    /// the old policy's log-probabilities at `model` (off-policy) and the reference policy's.
    public func inputs(of shares: [[PolicyResponse]], model: any TrainableModel, iterations: Int, offPolicy: Bool) -> [Inputs] {
        let responses = shares.map { share in
            share.map {
                TokenPolicyResponse(prompt: $0.prompt, response: $0.response, advantage: $0.advantage, key: $0.key,
                                    eosTokenID: eosTokenID)
            }
        }
        // Per inner iteration, per share, per response: one batch of forward passes over all shares.
        func perIteration(_ policy: any ForwardModel) -> [[[[Float]]]] {
            (0..<iterations).map { iteration in
                let flat = logProbs(model: policy, responses: responses.flatMap { $0 }, iteration: iteration)
                var next = 0
                return responses.map { share in
                    share.map { _ in
                        defer { next += 1 }
                        return flat[next]
                    }
                }
            }
        }
        let old = offPolicy ? perIteration(model) : nil
        let referenceValues = reference.map(perIteration)
        return responses.indices.map { m in
            TokenPolicyShare(responses: responses[m], old: old.map { $0.map { $0[m] } },
                             reference: referenceValues.map { $0.map { $0[m] } })
        }
    }

    /// Accumulates ``accumulate(model:responses:iteration:gradients:)`` over `share` with the
    /// log-probabilities of iteration `iteration`.
    public func accumulate(_ share: Inputs, iteration: Int, onPolicy: Bool, model: any TrainableModel,
                           gradients: FlatBuffer) -> ObjectiveStatistics {
        let selected = share.responses.enumerated().map { r, response in
            var response = response
            response.oldLogProbs = onPolicy ? nil : share.old?[iteration][r]
            response.referenceLogProbs = share.reference?[iteration][r]
            return response
        }
        return accumulate(model: model, responses: selected, iteration: iteration, gradients: gradients)
    }

    /// What ``lossType`` divides by (``units(lossType:responses:scoredTokens:completionLength:)``).
    public func units(of responses: [[Int32]], completionLength: Int) -> Double {
        let scored = responses.reduce(0) { $0 + TokenPolicyResponse.scoredLength(of: $1, eosTokenID: eosTokenID) }
        return Self.units(lossType: lossType, responses: responses.count, scoredTokens: scored,
                          completionLength: completionLength)
    }

    /// The indices of the response's prompt-mask stream (the response tokens are all masked).
    public func maskWords(of response: PolicyResponse) -> [UInt64] {
        response.key
    }
}
