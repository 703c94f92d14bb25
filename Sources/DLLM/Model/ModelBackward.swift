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
    backward(config: c, layout: model.layout,
             parameters: FullGradients(weights: model.parameters.pointer, gradients: gradients.pointer), workspace: ws)
}

/// The backward pass of ``modelBackward(_:workspace:gradients:)``, with the parameters' gradients
/// (all of them, or those of adapters only) taken by `g`.
func backward<P: ParameterGradients>(config c: ModelConfig, layout: ParameterLayout, parameters g: P, workspace ws: Workspace) {
    let a = ws.storage.pointer
    let s = ws.scratch
    let n = ws.batch * ws.seq, d = c.dModel, m = c.mlpHidden
    let hd = c.nHeads * c.headDim, kvd = c.nKVHeads * c.headDim
    let dResidual = a + s.dResidual, dNormed = a + s.dNormed

    // Head and final norm: dResidual = d loss / d x_L.
    g.linear(x: a + ws.finalNormed, weightAt: layout.head, dY: ws.dLogits, dX: dNormed,
             rows: n, inFeatures: d, outFeatures: c.vocabSize, accumulate: false)
    dResidual.update(repeating: 0, count: n * d)
    g.norm(x: a + ws.finalInput, weightAt: layout.finalNorm, rstd: a + ws.finalRstd, dY: dNormed,
           dX: dResidual, rows: n, dim: d)

    for (l, act) in ws.layers.enumerated().reversed() {
        let p = layout.blocks[l]
        // Feed-forward half; the residual gradient passes through unchanged and gains the norm's share.
        g.linear(x: a + act.act, weightAt: p.ffOut, dY: dResidual, dX: a + s.dAct,
                 rows: n, inFeatures: m, outFeatures: d, accumulate: false)
        (a + s.dGate).update(repeating: 0, count: n * m)
        (a + s.dUp).update(repeating: 0, count: n * m)
        swigluBackward(gate: a + act.gate, up: a + act.up, dOut: a + s.dAct, dGate: a + s.dGate, dUp: a + s.dUp,
                       count: n * m)
        g.linear(x: a + act.ffNormed, weightAt: p.ffProj, dY: a + s.dGate, dX: dNormed,
                 rows: n, inFeatures: d, outFeatures: m, accumulate: false)
        g.linear(x: a + act.ffNormed, weightAt: p.up, dY: a + s.dUp, dX: dNormed,
                 rows: n, inFeatures: d, outFeatures: m, accumulate: true)
        g.norm(x: a + act.hidden, weightAt: p.ffNorm, rstd: a + act.ffRstd, dY: dNormed, dX: dResidual,
               rows: n, dim: d)

        // Attention half.
        g.linear(x: a + act.context, weightAt: p.attnOut, dY: dResidual, dX: a + s.dContext,
                 rows: n, inFeatures: hd, outFeatures: d, accumulate: false)
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
        g.linear(x: a + act.attnNormed, weightAt: p.q, dY: a + s.dContext, dX: dNormed,
                 rows: n, inFeatures: d, outFeatures: hd, accumulate: false)
        g.linear(x: a + act.attnNormed, weightAt: p.k, dY: a + s.dKRotated, dX: dNormed,
                 rows: n, inFeatures: d, outFeatures: kvd, accumulate: true)
        g.linear(x: a + act.attnNormed, weightAt: p.v, dY: a + s.dV, dX: dNormed,
                 rows: n, inFeatures: d, outFeatures: kvd, accumulate: true)
        g.norm(x: a + act.input, weightAt: p.attnNorm, rstd: a + act.attnRstd, dY: dNormed, dX: dResidual,
               rows: n, dim: d)
    }
    g.embedding(tokens: ws.tokens, dOut: dResidual, tableAt: layout.embedding, count: n, vocab: c.vocabSize, dim: d)
}
