import DLLM
import RunConfig

extension ObjectiveSettings {
    /// Whether the objective has a KL term against a frozen reference policy: diffu-grpo with
    /// beta > 0.
    public var needsReferencePolicy: Bool {
        objective == .diffuGRPO && beta > 0
    }

    /// The objective these settings choose, its passes in micro-batches of `microBatchSize`
    /// responses, up to `lanes` of them side by side (``PassLanes``).
    ///
    /// - Parameter reference: the frozen reference policy; required when
    ///   ``needsReferencePolicy``, ignored otherwise.
    func policyObjective(microBatchSize: Int, tokenizer: any Tokenizer, seed: UInt64,
                         reference: (any ForwardModel)?, lanes: Int = 1) -> any PolicyObjective {
        let masking = likelihoodMasking(maskTokenID: tokenizer.maskTokenID, seed: seed)
        let pad = tokenizer.padTokenID
        switch objective {
        case .bgpo:
            let clip = bgpoClip ? PPOClip(epsilon: epsilon, dualClip: dualClip) : nil
            return ELBOObjective(method: .bgpo(bound: bgpoBound, clip: clip), masking: masking, microBatchSize: microBatchSize,
                                 padTokenID: pad, lanes: lanes)
        case .vrpoOL:
            return ELBOObjective(method: .vrpoOL, masking: masking, microBatchSize: microBatchSize, padTokenID: pad,
                                 lanes: lanes)
        case .elboExact:
            return ELBOObjective(method: .elboExact, masking: masking, microBatchSize: microBatchSize, padTokenID: pad,
                                 lanes: lanes)
        case .diffuGRPO:
            precondition(!needsReferencePolicy || reference != nil, "diffu-grpo with beta > 0 needs a reference model")
            return DiffuGRPOObjective(epsilon: epsilon, beta: beta, promptMaskProbability: pMaskPrompt, seed: seed,
                                      maskTokenID: tokenizer.maskTokenID, padTokenID: pad,
                                      eosTokenID: tokenizer.eosTokenID, microBatchSize: microBatchSize,
                                      lossType: lossType, reference: reference, lanes: lanes)
        }
    }
}
