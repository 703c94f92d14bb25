import Kernels

/// The forward pass: token ids to logits, keeping in `workspace` what the backward needs.
///
/// Per block: `h = x + attn_out(Attention(attn_norm(x)))`, `x' = h + ff_out(silu(ff_proj(n)) * up_proj(n))`
/// with `n = ff_norm(h)`; then `ln_f` and the head `ff_out`. Attention is bidirectional; padding keys
/// are masked out. Matrix products run in OpenBLAS with its current thread count.
/// tokens: [batch * seq]; keyMask: [batch * seq], 1 = real token, 0 = padding key (nil = all real);
/// the logits land in `workspace.logits`, [batch * seq, vocab].
public func modelForward(_ model: Model, tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?,
                         workspace ws: Workspace) {
    precondition(ws.config == model.config, "modelForward: workspace was built for another model configuration")
    forward(config: model.config, layout: model.layout, weights: F32Weights(base: model.parameters.pointer),
            tokens: tokens, keyMask: keyMask, workspace: ws)
}

/// The forward pass of ``modelForward(_:tokens:keyMask:workspace:)`` over any weight storage.
func forward<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W, tokens: UnsafePointer<Int32>,
                                keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace) {
    embedAndRunBlocks(config: c, layout: layout, weights: w, tokens: tokens, keyMask: keyMask, workspace: ws,
                      blocks: c.nLayers)
    headForward(config: c, layout: layout, weights: w, workspace: ws, rows: ws.batch * ws.seq)
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
        blockForward(config: c, layout: layout, weights: w, layer: l, keyMask: keyMask, workspace: ws)
    }
}

/// Block `l` over every row: reads its input slice, writes its activations and the next input.
func blockForward<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W, layer l: Int,
                                     keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace) {
    let a = ws.storage.pointer, p = layout.blocks[l], act = ws.layers[l]
    let n = ws.batch * ws.seq, d = c.dModel, hd = c.nHeads * c.headDim
    let next = l + 1 < ws.layers.count ? ws.layers[l + 1].input : ws.finalInput
    // Attention half: h = x + attn_out(attention(rope(q), rope(k), v)).
    normedKeysAndValues(config: c, layout: layout, weights: w, layer: l, workspace: ws)
    w.linear(x: a + act.attnNormed, weightAt: p.q, y: a + act.q, rows: n, inFeatures: d, outFeatures: hd, accumulate: false)
    rotaryForward(x: a + act.q, y: a + act.q, cos: a + ws.cos, sin: a + ws.sin,
                  batch: ws.batch, seq: ws.seq, heads: c.nHeads, headDim: c.headDim)
    attentionForward(q: a + act.q, k: a + act.k, v: a + act.v, keyMask: keyMask, probs: a + act.probs,
                     out: a + act.context, batch: ws.batch, seq: ws.seq, heads: c.nHeads, kvHeads: c.nKVHeads,
                     headDim: c.headDim)
    (a + act.hidden).update(from: a + act.input, count: n * d)
    w.linear(x: a + act.context, weightAt: p.attnOut, y: a + act.hidden, rows: n, inFeatures: hd, outFeatures: d,
             accumulate: true)
    // Feed-forward half: x' = h + ff_out(silu(ff_proj(n)) * up_proj(n)).
    feedForward(config: c, layout: layout, weights: w, layer: l, workspace: ws, rows: n, hidden: a + act.hidden,
                out: a + next)
}

/// The attention norm of block `l` over every row, then its keys and values, the keys rotated.
///
/// attnNormed: [batch * seq, d]; k, v: [batch * seq, kvHeads * headDim], in the block's slices.
func normedKeysAndValues<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W, layer l: Int,
                                            workspace ws: Workspace) {
    let a = ws.storage.pointer, p = layout.blocks[l], act = ws.layers[l]
    let n = ws.batch * ws.seq, d = c.dModel, kvd = c.nKVHeads * c.headDim
    rmsnormForward(x: a + act.input, weight: w.vector(at: p.attnNorm, count: d), y: a + act.attnNormed,
                   rstd: a + act.attnRstd, rows: n, dim: d, eps: c.normEps)
    w.linear(x: a + act.attnNormed, weightAt: p.k, y: a + act.k, rows: n, inFeatures: d, outFeatures: kvd, accumulate: false)
    w.linear(x: a + act.attnNormed, weightAt: p.v, y: a + act.v, rows: n, inFeatures: d, outFeatures: kvd, accumulate: false)
    rotaryForward(x: a + act.k, y: a + act.k, cos: a + ws.cos, sin: a + ws.sin,
                  batch: ws.batch, seq: ws.seq, heads: c.nKVHeads, headDim: c.headDim)
}

/// The feed-forward half of block `l` over `rows` rows: `out = hidden + ff_out(silu(ff_proj(n)) * up_proj(n))`,
/// `n = ff_norm(hidden)`, with its activations in the block's slices.
///
/// hidden, out: [rows, d]; rows is at most batch * seq.
func feedForward<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W, layer l: Int,
                                    workspace ws: Workspace, rows n: Int, hidden: UnsafeMutablePointer<Float>,
                                    out: UnsafeMutablePointer<Float>) {
    let a = ws.storage.pointer, p = layout.blocks[l], act = ws.layers[l]
    let d = c.dModel, m = c.mlpHidden
    rmsnormForward(x: hidden, weight: w.vector(at: p.ffNorm, count: d), y: a + act.ffNormed, rstd: a + act.ffRstd,
                   rows: n, dim: d, eps: c.normEps)
    w.linear(x: a + act.ffNormed, weightAt: p.ffProj, y: a + act.gate, rows: n, inFeatures: d, outFeatures: m,
             accumulate: false)
    w.linear(x: a + act.ffNormed, weightAt: p.up, y: a + act.up, rows: n, inFeatures: d, outFeatures: m, accumulate: false)
    swigluForward(gate: a + act.gate, up: a + act.up, out: a + act.act, count: n * m)
    out.update(from: hidden, count: n * d)
    w.linear(x: a + act.act, weightAt: p.ffOut, y: out, rows: n, inFeatures: m, outFeatures: d, accumulate: true)
}

/// The final norm `ln_f` and the head over the first `rows` rows of ``Workspace/finalInput``,
/// into the first `rows` rows of the logits.
///
/// finalInput, finalNormed: [rows, d]; logits: [rows, vocab]; rows is at most batch * seq.
func headForward<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W,
                                    workspace ws: Workspace, rows n: Int) {
    let a = ws.storage.pointer, d = c.dModel
    rmsnormForward(x: a + ws.finalInput, weight: w.vector(at: layout.finalNorm, count: d), y: a + ws.finalNormed,
                   rstd: a + ws.finalRstd, rows: n, dim: d, eps: c.normEps)
    w.linear(x: a + ws.finalNormed, weightAt: layout.head, y: ws.logits, rows: n, inFeatures: d, outFeatures: c.vocabSize,
             accumulate: false)
}
