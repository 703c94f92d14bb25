import Base
import Kernels
import DLLM

/// Forward and backward passes of the model over a ``DLLM/MaskedBatch``, shared by the objectives.
enum LikelihoodPass {
    /// Back-propagates `dTerms[j] = dLoss/dl_j` of the ELBO terms through the logits and the model,
    /// adding into `gradients`; the workspace must still hold `batch`'s forward pass.
    static func backward(_ model: any TrainableModel, _ batch: MaskedBatch, _ workspace: Workspace, dTerms: [Float],
                         gradients: FlatBuffer) {
        workspace.zeroLogitGradients()
        elboTermsBackward(batch, logits: workspace.logits, vocab: model.config.vocabSize, dTerms: dTerms,
                          dLogits: workspace.dLogits)
        model.backward(workspace: workspace, gradients: gradients)
    }

    /// The log-probability of every selected target of `batch`, after its forward pass: `[batch.count]`.
    static func tokenLogProbs(_ model: any ForwardModel, _ batch: MaskedBatch, _ workspace: Workspace) -> [Float] {
        var logProbs = [Float](repeating: 0, count: batch.count)
        guard batch.count > 0 else { return logProbs }
        batch.rows.withUnsafeBufferPointer { rows in
            batch.targets.withUnsafeBufferPointer { targets in
                logProbs.withUnsafeMutableBufferPointer { out in
                    tokenLogProbForward(logits: workspace.logits, vocab: model.config.vocabSize, rows: rows.baseAddress!,
                                        targets: targets.baseAddress!, count: batch.count, logProbs: out.baseAddress!)
                }
            }
        }
        return logProbs
    }

    /// Back-propagates per-token gradients `dLogProbs` (`[batch.count]`) through the logits and the
    /// model, adding into `gradients`; the workspace must still hold `batch`'s forward pass.
    static func backward(_ model: any TrainableModel, _ batch: MaskedBatch, _ workspace: Workspace, dLogProbs: [Float],
                         gradients: FlatBuffer) {
        workspace.zeroLogitGradients()
        if batch.count > 0 {
            batch.rows.withUnsafeBufferPointer { rows in
                batch.targets.withUnsafeBufferPointer { targets in
                    dLogProbs.withUnsafeBufferPointer { d in
                        tokenLogProbBackward(logits: workspace.logits, vocab: model.config.vocabSize,
                                             rows: rows.baseAddress!, targets: targets.baseAddress!, count: batch.count,
                                             dLogProbs: d.baseAddress!, dLogits: workspace.dLogits)
                    }
                }
            }
        }
        model.backward(workspace: workspace, gradients: gradients)
    }
}
