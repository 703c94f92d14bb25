import Kernels

/// A forward-only pass that computes the logits of the positions `positions` of every sequence only.
///
/// Every position still takes part as a key and value in every block, so those logits are the
/// ones ``modelForward(_:tokens:keyMask:workspace:)`` computes, up to float rounding; the last
/// block's queries, feed-forward, final norm and head run on the selected rows only. This is what
/// the sampler needs: it reads the logits of the current block's positions. Rows of
/// `workspace.logits` outside `positions` are left as they were, and the workspace holds no
/// activations a backward could use.
/// tokens, keyMask: [batch * seq]; positions: a non-empty range within `0..<seq`;
/// the logits land in rows `b * seq + positions` of `workspace.logits`, [batch * seq, vocab].
public func modelForward(_ model: Model, tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?,
                         workspace ws: Workspace, positions: Range<Int>) {
    precondition(!positions.isEmpty && positions.lowerBound >= 0 && positions.upperBound <= ws.seq,
                 "modelForward: positions \(positions) must be a non-empty range within 0..<\(ws.seq)")
    guard positions.count < ws.seq else {
        modelForward(model, tokens: tokens, keyMask: keyMask, workspace: ws)
        return
    }
    let c = model.config
    precondition(ws.config == c, "modelForward: workspace was built for another model configuration")
    let last = c.nLayers - 1
    embedAndRunBlocks(model, tokens: tokens, keyMask: keyMask, workspace: ws, blocks: last)

    let w = model.parameters.pointer, a = ws.storage.pointer, layout = model.layout
    let p = layout.blocks[last], act = ws.layers[last]
    let n = ws.batch * ws.seq, r = positions.count, nr = ws.batch * r, d = c.dModel
    let hd = c.nHeads * c.headDim, kvd = c.nKVHeads * c.headDim, half = c.headDim / 2
    // Keys and values of every row.
    rmsnormForward(x: a + act.input, weight: w + p.attnNorm, y: a + act.attnNormed, rstd: a + act.attnRstd,
                   rows: n, dim: d, eps: c.normEps)
    linearForward(x: a + act.attnNormed, weight: w + p.k, y: a + act.k, rows: n, inFeatures: d, outFeatures: kvd)
    linearForward(x: a + act.attnNormed, weight: w + p.v, y: a + act.v, rows: n, inFeatures: d, outFeatures: kvd)
    rotaryForward(x: a + act.k, y: a + act.k, cos: a + ws.cos, sin: a + ws.sin,
                  batch: ws.batch, seq: ws.seq, heads: c.nKVHeads, headDim: c.headDim)
    // Queries of the selected rows, compacted to [nr, hd]; their rotary angles start at positions.lowerBound.
    gatherRows(a + act.attnNormed, into: a + act.ffNormed, batch: ws.batch, seq: ws.seq, positions: positions, width: d)
    linearForward(x: a + act.ffNormed, weight: w + p.q, y: a + act.q, rows: nr, inFeatures: d, outFeatures: hd)
    rotaryForward(x: a + act.q, y: a + act.q, cos: a + ws.cos + positions.lowerBound * half,
                  sin: a + ws.sin + positions.lowerBound * half, batch: ws.batch, seq: r, heads: c.nHeads,
                  headDim: c.headDim)
    attentionForward(q: a + act.q, k: a + act.k, v: a + act.v, keyMask: keyMask, probs: a + act.probs,
                     out: a + act.context, batch: ws.batch, queries: r, seq: ws.seq, heads: c.nHeads,
                     kvHeads: c.nKVHeads, headDim: c.headDim)
    // hidden: [nr, d], the selected residual rows plus attn_out; then the feed-forward into finalInput.
    gatherRows(a + act.input, into: a + act.hidden, batch: ws.batch, seq: ws.seq, positions: positions, width: d)
    linearForward(x: a + act.context, weight: w + p.attnOut, y: a + act.hidden, rows: nr, inFeatures: hd,
                  outFeatures: d, accumulate: true)
    feedForward(model, layer: last, workspace: ws, rows: nr, hidden: a + act.hidden, out: a + ws.finalInput)
    rmsnormForward(x: a + ws.finalInput, weight: w + layout.finalNorm, y: a + ws.finalNormed, rstd: a + ws.finalRstd,
                   rows: nr, dim: d, eps: c.normEps)
    // The head writes each sequence's r rows straight to their place in the logits.
    for b in 0..<ws.batch {
        linearForward(x: a + ws.finalNormed + b * r * d, weight: w + layout.head,
                      y: ws.logits + (b * ws.seq + positions.lowerBound) * c.vocabSize, rows: r, inFeatures: d,
                      outFeatures: c.vocabSize)
    }
}

/// Copies rows `b * seq + positions` of `source` to rows `b * positions.count ..< (b + 1) * positions.count`
/// of `destination`, for every sequence b.
///
/// source: [batch * seq, width]; destination: [batch * positions.count, width].
private func gatherRows(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
                        batch: Int, seq: Int, positions: Range<Int>, width: Int) {
    let r = positions.count
    for b in 0..<batch {
        (destination + b * r * width).update(from: source + (b * seq + positions.lowerBound) * width, count: r * width)
    }
}
