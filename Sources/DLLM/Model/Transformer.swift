import Base
import Kernels

// The transformer, forward and backward, each piece beside its mirror:
//
//   forward                              backward (reverse order)
//   embedding lookup                     embedding gradient
//   per block l = 0 ..< L:               per block l = L-1 ... 0:
//     attentionHalfForward                 feedForwardHalfBackward
//     feedForwardHalfForward               attentionHalfBackward
//   headForward (ln_f, head)             headBackward
//
// Per block: `h = x + attn_out(Attention(attn_norm(x)))`, `x' = h + ff_out(silu(ff_proj(n)) * up_proj(n))`
// with `n = ff_norm(h)`. Attention is bidirectional; padding keys are masked out. Matrix products run
// in OpenBLAS with its current thread count. n = batch * seq rows; d = dModel; hd = nHeads * headDim;
// kvd = nKVHeads * headDim; m = mlpHidden. Weights are read through ``ForwardWeights`` (F32 or BF16)
// and gradients taken through ``ParameterGradients`` (every weight, or the adapters only).

/// The forward pass: token ids to logits, keeping in `workspace` what the backward needs.
///
/// tokens: [batch * seq]; keyMask: [batch * seq], 1 = real token, 0 = padding key (nil = all real);
/// the logits land in `workspace.logits`, [batch * seq, vocab].
public func modelForward(_ model: Model, tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?,
                         workspace ws: Workspace) {
    precondition(ws.config == model.config, "modelForward: workspace was built for another model configuration")
    forward(config: model.config, layout: model.layout, weights: F32Weights(base: model.parameters.pointer),
            tokens: tokens, keyMask: keyMask, workspace: ws)
}

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

/// The forward pass of ``modelForward(_:tokens:keyMask:workspace:)`` over any weight storage.
func forward<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W, tokens: UnsafePointer<Int32>,
                                keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace) {
    embedAndRunBlocks(config: c, layout: layout, weights: w, tokens: tokens, keyMask: keyMask, workspace: ws,
                      blocks: c.nLayers)
    headForward(config: c, layout: layout, weights: w, workspace: ws, rows: ws.batch * ws.seq)
}

/// The backward pass of ``forward(config:layout:weights:tokens:keyMask:workspace:)``, with the
/// parameters' gradients (all of them, or those of adapters only) taken by `g`.
func backward<P: ParameterGradients>(config c: ModelConfig, layout: ParameterLayout, parameters g: P, workspace ws: Workspace) {
    headBackward(config: c, layout: layout, parameters: g, workspace: ws)
    for l in stride(from: c.nLayers - 1, through: 0, by: -1) {
        feedForwardHalfBackward(config: c, layout: layout, parameters: g, layer: l, workspace: ws)
        attentionHalfBackward(config: c, layout: layout, parameters: g, layer: l, workspace: ws)
    }
    g.embedding(tokens: ws.tokens, dOut: ws.storage.pointer + ws.scratch.dResidual, tableAt: layout.embedding,
                count: ws.batch * ws.seq, vocab: c.vocabSize, dim: c.dModel)
}

/// The embedding lookup, then blocks `0..<blocks`; the output of the last of them is the input
/// slice of the next block (``Workspace/finalInput`` after the last block of the model).
func embedAndRunBlocks<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W,
                                          tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?,
                                          workspace ws: Workspace, blocks: Int) {
    let a = ws.storage.pointer, n = ws.batch * ws.seq
    ws.tokens.update(from: tokens, count: n)
    w.embed(tokens: tokens, tableAt: layout.embedding, out: a + (ws.layers.first?.input ?? ws.finalInput),
            count: n, vocab: c.vocabSize, dim: c.dModel)
    for l in 0..<blocks {
        let act = ws.layers[l]
        let next = l + 1 < ws.layers.count ? ws.layers[l + 1].input : ws.finalInput
        attentionHalfForward(config: c, layout: layout, weights: w, layer: l, keyMask: keyMask, workspace: ws)
        feedForwardHalfForward(config: c, layout: layout, weights: w, layer: l, workspace: ws, rows: n,
                               hidden: a + act.hidden, out: a + next)
    }
}

// MARK: - Attention half

/// The attention half of block `l` over every row: `hidden = input + attn_out(attention(rope(q), rope(k), v))`.
///
/// input, attnNormed, hidden: [n, d]; q, context: [n, hd]; k, v: [n, kvd]; probs: [batch, nHeads, seq, seq]
/// (written when `w.keepsProbabilities`).
func attentionHalfForward<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W, layer l: Int,
                                             keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace) {
    let a = ws.storage.pointer, p = layout.blocks[l], act = ws.layers[l]
    let n = ws.batch * ws.seq, d = c.dModel, hd = c.nHeads * c.headDim
    normedKeysAndValues(config: c, layout: layout, weights: w, layer: l, workspace: ws)
    w.linear(x: a + act.attnNormed, weightAt: p.q, y: a + act.q, rows: n, inFeatures: d, outFeatures: hd, accumulate: false)
    rotaryForward(x: a + act.q, y: a + act.q, cos: a + ws.cos, sin: a + ws.sin,
                  batch: ws.batch, seq: ws.seq, heads: c.nHeads, headDim: c.headDim, threads: w.threads)
    attentionForward(q: a + act.q, k: a + act.k, v: a + act.v, keyMask: keyMask,
                     probs: w.keepsProbabilities ? a + act.probs : nil, out: a + act.context, batch: ws.batch,
                     seq: ws.seq, heads: c.nHeads, kvHeads: c.nKVHeads, headDim: c.headDim, threads: w.threads)
    w.linear(x: a + act.context, weightAt: p.attnOut, residual: a + act.input, y: a + act.hidden, rows: n,
             inFeatures: hd, outFeatures: d)
}

/// The attention norm of block `l` over every row, then its keys and values, the keys rotated
/// (the first steps of ``attentionHalfForward(config:layout:weights:layer:keyMask:workspace:)``).
///
/// attnNormed: [n, d]; k, v: [n, kvd], in the block's slices.
func normedKeysAndValues<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W, layer l: Int,
                                            workspace ws: Workspace) {
    let a = ws.storage.pointer, p = layout.blocks[l], act = ws.layers[l]
    let n = ws.batch * ws.seq, d = c.dModel, kvd = c.nKVHeads * c.headDim
    rmsnormForward(x: a + act.input, weight: w.vector(at: p.attnNorm, count: d), y: a + act.attnNormed,
                   rstd: a + act.attnRstd, rows: n, dim: d, eps: c.normEps, threads: w.threads)
    w.linear(x: a + act.attnNormed, weightAt: p.k, y: a + act.k, rows: n, inFeatures: d, outFeatures: kvd, accumulate: false)
    w.linear(x: a + act.attnNormed, weightAt: p.v, y: a + act.v, rows: n, inFeatures: d, outFeatures: kvd, accumulate: false)
    rotaryForward(x: a + act.k, y: a + act.k, cos: a + ws.cos, sin: a + ws.sin,
                  batch: ws.batch, seq: ws.seq, heads: c.nKVHeads, headDim: c.headDim, threads: w.threads)
}

/// Backward of ``attentionHalfForward(config:layout:weights:layer:keyMask:workspace:)``: on entry
/// `dResidual` holds d loss / d hidden; on return, d loss / d input (the residual passes through and
/// gains the attention norm's share).
///
/// dResidual, dNormed: [n, d]; dContext, dQ: [n, hd]; dK, dKRotated, dV: [n, kvd].
func attentionHalfBackward<P: ParameterGradients>(config c: ModelConfig, layout: ParameterLayout, parameters g: P,
                                                  layer l: Int, workspace ws: Workspace) {
    let a = ws.storage.pointer, s = ws.scratch, p = layout.blocks[l], act = ws.layers[l]
    let n = ws.batch * ws.seq, d = c.dModel, hd = c.nHeads * c.headDim, kvd = c.nKVHeads * c.headDim
    let dResidual = a + s.dResidual, dNormed = a + s.dNormed
    g.linear(x: a + act.context, weightAt: p.attnOut, dY: dResidual, dX: a + s.dContext,
             rows: n, inFeatures: hd, outFeatures: d, accumulate: false)
    attentionBackward(q: a + act.q, k: a + act.k, v: a + act.v, probs: a + act.probs, dOut: a + s.dContext,
                      dQ: a + s.dQ, dK: a + s.dK, dV: a + s.dV,
                      batch: ws.batch, seq: ws.seq, heads: c.nHeads, kvHeads: c.nKVHeads, headDim: c.headDim,
                      threads: g.threads, accumulate: false)
    // Undo the rotary embedding; dContext now holds the gradient of the un-rotated queries.
    rotaryBackward(dY: a + s.dQ, dX: a + s.dContext, cos: a + ws.cos, sin: a + ws.sin,
                   batch: ws.batch, seq: ws.seq, heads: c.nHeads, headDim: c.headDim, threads: g.threads,
                   accumulate: false)
    rotaryBackward(dY: a + s.dK, dX: a + s.dKRotated, cos: a + ws.cos, sin: a + ws.sin,
                   batch: ws.batch, seq: ws.seq, heads: c.nKVHeads, headDim: c.headDim, threads: g.threads,
                   accumulate: false)
    g.linear(x: a + act.attnNormed, weightAt: p.q, dY: a + s.dContext, dX: dNormed,
             rows: n, inFeatures: d, outFeatures: hd, accumulate: false)
    g.linear(x: a + act.attnNormed, weightAt: p.k, dY: a + s.dKRotated, dX: dNormed,
             rows: n, inFeatures: d, outFeatures: kvd, accumulate: true)
    g.linear(x: a + act.attnNormed, weightAt: p.v, dY: a + s.dV, dX: dNormed,
             rows: n, inFeatures: d, outFeatures: kvd, accumulate: true)
    g.norm(x: a + act.input, weightAt: p.attnNorm, rstd: a + act.attnRstd, dY: dNormed, dX: dResidual,
           rows: n, dim: d)
}

// MARK: - Feed-forward half

/// The feed-forward half of block `l` over `rows` rows: `out = hidden + ff_out(silu(ff_proj(n)) * up_proj(n))`,
/// `n = ff_norm(hidden)`, with its activations in the block's slices.
///
/// hidden, out: [rows, d]; ffNormed: [rows, d]; gate, up, act: [rows, m]; rows is at most batch * seq.
func feedForwardHalfForward<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W, layer l: Int,
                                               workspace ws: Workspace, rows n: Int, hidden: UnsafeMutablePointer<Float>,
                                               out: UnsafeMutablePointer<Float>) {
    let a = ws.storage.pointer, p = layout.blocks[l], act = ws.layers[l]
    let d = c.dModel, m = c.mlpHidden
    rmsnormForward(x: hidden, weight: w.vector(at: p.ffNorm, count: d), y: a + act.ffNormed, rstd: a + act.ffRstd,
                   rows: n, dim: d, eps: c.normEps, threads: w.threads)
    w.linear(x: a + act.ffNormed, weightAt: p.ffProj, y: a + act.gate, rows: n, inFeatures: d, outFeatures: m,
             accumulate: false)
    w.linear(x: a + act.ffNormed, weightAt: p.up, y: a + act.up, rows: n, inFeatures: d, outFeatures: m, accumulate: false)
    swigluForward(gate: a + act.gate, up: a + act.up, out: a + act.act, count: n * m, threads: w.threads)
    w.linear(x: a + act.act, weightAt: p.ffOut, residual: hidden, y: out, rows: n, inFeatures: m, outFeatures: d)
}

/// Backward of ``feedForwardHalfForward(config:layout:weights:layer:workspace:rows:hidden:out:)`` over
/// every row: on entry `dResidual` holds d loss / d out; on return, d loss / d hidden (the residual
/// passes through and gains the feed-forward norm's share).
///
/// dResidual, dNormed: [n, d]; dAct, dGate, dUp: [n, m].
func feedForwardHalfBackward<P: ParameterGradients>(config c: ModelConfig, layout: ParameterLayout, parameters g: P,
                                                    layer l: Int, workspace ws: Workspace) {
    let a = ws.storage.pointer, s = ws.scratch, p = layout.blocks[l], act = ws.layers[l]
    let n = ws.batch * ws.seq, d = c.dModel, m = c.mlpHidden
    let dResidual = a + s.dResidual, dNormed = a + s.dNormed
    g.linear(x: a + act.act, weightAt: p.ffOut, dY: dResidual, dX: a + s.dAct,
             rows: n, inFeatures: m, outFeatures: d, accumulate: false)
    swigluBackward(gate: a + act.gate, up: a + act.up, dOut: a + s.dAct, dGate: a + s.dGate, dUp: a + s.dUp,
                   count: n * m, threads: g.threads, accumulate: false)
    g.linear(x: a + act.ffNormed, weightAt: p.ffProj, dY: a + s.dGate, dX: dNormed,
             rows: n, inFeatures: d, outFeatures: m, accumulate: false)
    g.linear(x: a + act.ffNormed, weightAt: p.up, dY: a + s.dUp, dX: dNormed,
             rows: n, inFeatures: d, outFeatures: m, accumulate: true)
    g.norm(x: a + act.hidden, weightAt: p.ffNorm, rstd: a + act.ffRstd, dY: dNormed, dX: dResidual,
           rows: n, dim: d)
}

// MARK: - Head

/// The final norm `ln_f` and the head over the first `rows` rows of ``Workspace/finalInput``,
/// into the first `rows` rows of the logits.
///
/// finalInput, finalNormed: [rows, d]; logits: [rows, vocab]; rows is at most batch * seq.
func headForward<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W,
                                    workspace ws: Workspace, rows n: Int) {
    let a = ws.storage.pointer, d = c.dModel
    rmsnormForward(x: a + ws.finalInput, weight: w.vector(at: layout.finalNorm, count: d), y: a + ws.finalNormed,
                   rstd: a + ws.finalRstd, rows: n, dim: d, eps: c.normEps, threads: w.threads)
    w.linear(x: a + ws.finalNormed, weightAt: layout.head, y: ws.logits, rows: n, inFeatures: d, outFeatures: c.vocabSize,
             accumulate: false)
}

/// Backward of ``headForward(config:layout:weights:workspace:rows:)`` over every row: reads
/// `dLogits` and sets `dResidual` to d loss / d finalInput.
///
/// dLogits: [n, vocab]; dNormed, dResidual: [n, d].
func headBackward<P: ParameterGradients>(config c: ModelConfig, layout: ParameterLayout, parameters g: P,
                                         workspace ws: Workspace) {
    let a = ws.storage.pointer, s = ws.scratch, n = ws.batch * ws.seq, d = c.dModel
    let dResidual = a + s.dResidual, dNormed = a + s.dNormed
    g.linear(x: a + ws.finalNormed, weightAt: layout.head, dY: ws.dLogits, dX: dNormed,
             rows: n, inFeatures: d, outFeatures: c.vocabSize, accumulate: false)
    dResidual.update(repeating: 0, count: n * d)
    g.norm(x: a + ws.finalInput, weightAt: layout.finalNorm, rstd: a + ws.finalRstd, dY: dNormed,
           dX: dResidual, rows: n, dim: d)
}
