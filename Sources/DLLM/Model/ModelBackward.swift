import Base
import Kernels

/// The backward pass of the last ``modelForward(_:tokens:keyMask:workspace:)`` run in `workspace`.
///
/// Reads `workspace.dLogits` ([batch * seq, vocab]) and ACCUMULATES the parameter gradients into
/// `gradients` ([layout.totalCount], the layout of `model.parameters`). The workspace's activations
/// are left intact, so the same forward can be back-propagated again with other logit gradients.
public func modelBackward(_ model: Model, workspace ws: Workspace, gradients: FlatBuffer) {
    let c = model.config
    precondition(ws.config == c, "modelBackward: workspace was built for another model configuration")
    precondition(gradients.count == model.layout.totalCount,
                 "modelBackward: gradient buffer has \(gradients.count) elements, layout needs \(model.layout.totalCount)")
    let w = model.parameters.pointer, g = gradients.pointer, a = ws.storage.pointer, layout = model.layout
    let s = ws.scratch
    let n = ws.batch * ws.seq, d = c.dModel, m = c.mlpHidden
    let hd = c.nHeads * c.headDim, kvd = c.nKVHeads * c.headDim
    let dResidual = a + s.dResidual, dNormed = a + s.dNormed

    // Head and final norm: dResidual = d loss / d x_L.
    linearBackward(x: a + ws.finalNormed, weight: w + layout.head, dY: ws.dLogits, dX: dNormed, dWeight: g + layout.head,
                   rows: n, inFeatures: d, outFeatures: c.vocabSize, accumulate: false)
    dResidual.update(repeating: 0, count: n * d)
    rmsnormBackward(x: a + ws.finalInput, weight: w + layout.finalNorm, rstd: a + ws.finalRstd, dY: dNormed,
                    dX: dResidual, dWeight: g + layout.finalNorm, rows: n, dim: d)

    for (l, act) in ws.layers.enumerated().reversed() {
        let p = layout.blocks[l]
        // Feed-forward half; the residual gradient passes through unchanged and gains the norm's share.
        linearBackward(x: a + act.act, weight: w + p.ffOut, dY: dResidual, dX: a + s.dAct, dWeight: g + p.ffOut,
                       rows: n, inFeatures: m, outFeatures: d, accumulate: false)
        (a + s.dGate).update(repeating: 0, count: n * m)
        (a + s.dUp).update(repeating: 0, count: n * m)
        swigluBackward(gate: a + act.gate, up: a + act.up, dOut: a + s.dAct, dGate: a + s.dGate, dUp: a + s.dUp,
                       count: n * m)
        linearBackward(x: a + act.ffNormed, weight: w + p.ffProj, dY: a + s.dGate, dX: dNormed, dWeight: g + p.ffProj,
                       rows: n, inFeatures: d, outFeatures: m, accumulate: false)
        linearBackward(x: a + act.ffNormed, weight: w + p.up, dY: a + s.dUp, dX: dNormed, dWeight: g + p.up,
                       rows: n, inFeatures: d, outFeatures: m)
        rmsnormBackward(x: a + act.hidden, weight: w + p.ffNorm, rstd: a + act.ffRstd, dY: dNormed, dX: dResidual,
                        dWeight: g + p.ffNorm, rows: n, dim: d)

        // Attention half.
        linearBackward(x: a + act.context, weight: w + p.attnOut, dY: dResidual, dX: a + s.dContext,
                       dWeight: g + p.attnOut, rows: n, inFeatures: hd, outFeatures: d, accumulate: false)
        (a + s.dQ).update(repeating: 0, count: n * hd)
        (a + s.dK).update(repeating: 0, count: n * kvd)
        (a + s.dV).update(repeating: 0, count: n * kvd)
        attentionBackward(q: a + act.q, k: a + act.k, v: a + act.v, probs: a + act.probs, dOut: a + s.dContext,
                          dQ: a + s.dQ, dK: a + s.dK, dV: a + s.dV, scratch: a + s.attention,
                          batch: ws.batch, seq: ws.seq, heads: c.nHeads, kvHeads: c.nKVHeads, headDim: c.headDim)
        // Undo the rotary embedding; dContext now holds the gradient of the un-rotated queries.
        (a + s.dContext).update(repeating: 0, count: n * hd)
        (a + s.dKRotated).update(repeating: 0, count: n * kvd)
        rotaryBackward(dY: a + s.dQ, dX: a + s.dContext, cos: a + ws.cos, sin: a + ws.sin,
                       batch: ws.batch, seq: ws.seq, heads: c.nHeads, headDim: c.headDim)
        rotaryBackward(dY: a + s.dK, dX: a + s.dKRotated, cos: a + ws.cos, sin: a + ws.sin,
                       batch: ws.batch, seq: ws.seq, heads: c.nKVHeads, headDim: c.headDim)
        linearBackward(x: a + act.attnNormed, weight: w + p.q, dY: a + s.dContext, dX: dNormed, dWeight: g + p.q,
                       rows: n, inFeatures: d, outFeatures: hd, accumulate: false)
        linearBackward(x: a + act.attnNormed, weight: w + p.k, dY: a + s.dKRotated, dX: dNormed, dWeight: g + p.k,
                       rows: n, inFeatures: d, outFeatures: kvd)
        linearBackward(x: a + act.attnNormed, weight: w + p.v, dY: a + s.dV, dX: dNormed, dWeight: g + p.v,
                       rows: n, inFeatures: d, outFeatures: kvd)
        rmsnormBackward(x: a + act.input, weight: w + p.attnNorm, rstd: a + act.attnRstd, dY: dNormed, dX: dResidual,
                        dWeight: g + p.attnNorm, rows: n, dim: d)
    }
    embeddingBackward(tokens: ws.tokens, dOut: dResidual, dTable: g + layout.embedding, count: n,
                      vocab: c.vocabSize, dim: d)
}
