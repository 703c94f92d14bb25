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
    let c = model.config
    precondition(ws.config == c, "modelForward: workspace was built for another model configuration")
    embedAndRunBlocks(model, tokens: tokens, keyMask: keyMask, workspace: ws, blocks: c.nLayers)
    let w = model.parameters.pointer, a = ws.storage.pointer, layout = model.layout
    let n = ws.batch * ws.seq, d = c.dModel
    rmsnormForward(x: a + ws.finalInput, weight: w + layout.finalNorm, y: a + ws.finalNormed, rstd: a + ws.finalRstd,
                   rows: n, dim: d, eps: c.normEps)
    linearForward(x: a + ws.finalNormed, weight: w + layout.head, y: ws.logits, rows: n, inFeatures: d,
                  outFeatures: c.vocabSize)
}

/// The embedding lookup, then blocks `0..<blocks`; the output of the last of them is the input
/// slice of the next block (``Workspace/finalInput`` after the last block of the model).
func embedAndRunBlocks(_ model: Model, tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?,
                       workspace ws: Workspace, blocks: Int) {
    let c = model.config
    let a = ws.storage.pointer, n = ws.batch * ws.seq
    ws.tokens.update(from: tokens, count: n)
    embeddingForward(tokens: tokens, table: model.parameters.pointer + model.layout.embedding,
                     out: a + (ws.layers.first?.input ?? ws.finalInput), count: n, vocab: c.vocabSize, dim: c.dModel)
    for l in 0..<blocks {
        blockForward(model, layer: l, keyMask: keyMask, workspace: ws)
    }
}

/// Block `l` over every row: reads its input slice, writes its activations and the next input.
func blockForward(_ model: Model, layer l: Int, keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace) {
    let c = model.config
    let w = model.parameters.pointer, a = ws.storage.pointer, p = model.layout.blocks[l], act = ws.layers[l]
    let n = ws.batch * ws.seq, d = c.dModel
    let hd = c.nHeads * c.headDim, kvd = c.nKVHeads * c.headDim
    let next = l + 1 < ws.layers.count ? ws.layers[l + 1].input : ws.finalInput
    // Attention half: h = x + attn_out(attention(rope(q), rope(k), v)).
    rmsnormForward(x: a + act.input, weight: w + p.attnNorm, y: a + act.attnNormed, rstd: a + act.attnRstd,
                   rows: n, dim: d, eps: c.normEps)
    linearForward(x: a + act.attnNormed, weight: w + p.q, y: a + act.q, rows: n, inFeatures: d, outFeatures: hd)
    linearForward(x: a + act.attnNormed, weight: w + p.k, y: a + act.k, rows: n, inFeatures: d, outFeatures: kvd)
    linearForward(x: a + act.attnNormed, weight: w + p.v, y: a + act.v, rows: n, inFeatures: d, outFeatures: kvd)
    rotaryForward(x: a + act.q, y: a + act.q, cos: a + ws.cos, sin: a + ws.sin,
                  batch: ws.batch, seq: ws.seq, heads: c.nHeads, headDim: c.headDim)
    rotaryForward(x: a + act.k, y: a + act.k, cos: a + ws.cos, sin: a + ws.sin,
                  batch: ws.batch, seq: ws.seq, heads: c.nKVHeads, headDim: c.headDim)
    attentionForward(q: a + act.q, k: a + act.k, v: a + act.v, keyMask: keyMask, probs: a + act.probs,
                     out: a + act.context, batch: ws.batch, seq: ws.seq, heads: c.nHeads, kvHeads: c.nKVHeads,
                     headDim: c.headDim)
    (a + act.hidden).update(from: a + act.input, count: n * d)
    linearForward(x: a + act.context, weight: w + p.attnOut, y: a + act.hidden, rows: n, inFeatures: hd,
                  outFeatures: d, accumulate: true)
    // Feed-forward half: x' = h + ff_out(silu(ff_proj(n)) * up_proj(n)).
    feedForward(model, layer: l, workspace: ws, rows: n, hidden: a + act.hidden, out: a + next)
}

/// The feed-forward half of block `l` over `rows` rows: `out = hidden + ff_out(silu(ff_proj(n)) * up_proj(n))`,
/// `n = ff_norm(hidden)`, with its activations in the block's slices.
///
/// hidden, out: [rows, d]; rows is at most batch * seq.
func feedForward(_ model: Model, layer l: Int, workspace ws: Workspace, rows n: Int,
                 hidden: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
    let c = model.config
    let w = model.parameters.pointer, a = ws.storage.pointer, p = model.layout.blocks[l], act = ws.layers[l]
    let d = c.dModel, m = c.mlpHidden
    rmsnormForward(x: hidden, weight: w + p.ffNorm, y: a + act.ffNormed, rstd: a + act.ffRstd,
                   rows: n, dim: d, eps: c.normEps)
    linearForward(x: a + act.ffNormed, weight: w + p.ffProj, y: a + act.gate, rows: n, inFeatures: d, outFeatures: m)
    linearForward(x: a + act.ffNormed, weight: w + p.up, y: a + act.up, rows: n, inFeatures: d, outFeatures: m)
    swigluForward(gate: a + act.gate, up: a + act.up, out: a + act.act, count: n * m)
    out.update(from: hidden, count: n * d)
    linearForward(x: a + act.act, weight: w + p.ffOut, y: out, rows: n, inFeatures: m, outFeatures: d, accumulate: true)
}
