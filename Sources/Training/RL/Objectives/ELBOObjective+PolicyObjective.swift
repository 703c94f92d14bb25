import Base
import DLLM

extension ELBOObjective: PolicyObjective {
    /// A share's responses with their masked samples and, off-policy, their old terms.
    public typealias Inputs = [ELBOResponse]

    /// Only a non-zero advantage moves the gradient.
    public func entersObjective(advantage: Double) -> Bool {
        advantage != 0
    }

    /// Draws the n_t masked copies of every response (reused by every update of the step) and,
    /// off-policy, evaluates the old policy's terms on them once; the masks do not depend on the
    /// inner iteration.
    public func inputs(of shares: [[PolicyResponse]], model: any TrainableModel, iterations: Int, offPolicy: Bool) -> [Inputs] {
        var inputs = shares.map { share in
            share.map { ELBOResponse(samples: samples(of: $0), advantage: $0.advantage) }
        }
        if offPolicy {
            let old = terms(model: model, responses: inputs.flatMap { $0 })
            var next = 0
            for m in inputs.indices {
                for r in inputs[m].indices {
                    inputs[m][r].oldTerms = old[next]
                    next += 1
                }
            }
        }
        return inputs
    }

    /// Accumulates ``accumulate(model:responses:gradients:)`` over `share`; the inner iteration
    /// changes nothing.
    public func accumulate(_ share: Inputs, iteration: Int, onPolicy: Bool, model: any TrainableModel,
                           gradients: FlatBuffer) -> ObjectiveStatistics {
        var selected = share
        if onPolicy {
            for r in selected.indices { selected[r].oldTerms = nil }
        }
        return accumulate(model: model, responses: selected, gradients: gradients).statistics
    }

    /// One unit per response: the loss is the mean over the mini-batch's responses.
    public func units(of responses: [[Int32]], completionLength: Int) -> Double {
        Double(responses.count)
    }

    /// The positions, targets, weights and mask ratios of the response's masked samples.
    public func maskWords(of response: PolicyResponse) -> [UInt64] {
        RolloutDigest.maskWords(samples(of: response))
    }

    /// The n_t masked copies of `response`, keyed by (step, prompt index, response index).
    private func samples(of response: PolicyResponse) -> [MaskedSample] {
        masking.samples(prompt: response.prompt, response: response.response, step: UInt64(response.step),
                        promptIndex: response.promptIndex, responseIndex: UInt64(response.responseIndex))
    }
}
