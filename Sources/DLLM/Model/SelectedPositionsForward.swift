import Kernels

/// A forward-only pass that computes the logits of the positions `positions` of every sequence only.
///
/// Every position still takes part as a key and value in every block, so those logits are the
/// ones ``modelForward(_:tokens:keyMask:workspace:)`` computes, up to float rounding; the last
/// block's queries, feed-forward, final norm and head run on the selected rows only. This is what
/// the sampler needs: it reads the logits of the current block's positions. Rows of
/// `workspace.logits` outside `positions` are unspecified afterwards, and the workspace holds no
/// activations a backward could use.
/// tokens, keyMask: [batch * seq]; positions: a non-empty range within `0..<seq`;
/// the logits land in rows `b * seq + positions` of `workspace.logits`, [batch * seq, vocab].
public func modelForward(_ model: Model, tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?,
                         workspace ws: Workspace, positions: Range<Int>) {
    precondition(ws.config == model.config, "modelForward: workspace was built for another model configuration")
    forward(config: model.config, layout: model.layout, weights: F32Weights(base: model.parameters.pointer),
            tokens: tokens, keyMask: keyMask, workspace: ws, positions: positions)
}

/// The pass of ``modelForward(_:tokens:keyMask:workspace:positions:)`` over any weight storage.
func forward<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W, tokens: UnsafePointer<Int32>,
                                keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace, positions: Range<Int>) {
    precondition(!positions.isEmpty && positions.lowerBound >= 0 && positions.upperBound <= ws.seq,
                 "modelForward: positions \(positions) must be a non-empty range within 0..<\(ws.seq)")
    guard positions.count < ws.seq else {
        forward(config: c, layout: layout, weights: w, tokens: tokens, keyMask: keyMask, workspace: ws)
        return
    }
    let last = c.nLayers - 1
    embedAndRunBlocks(config: c, layout: layout, weights: w, tokens: tokens, keyMask: keyMask, workspace: ws,
                      blocks: last)

    let a = ws.storage.pointer, act = ws.layers[last]
    let nr = ws.batch * positions.count, d = c.dModel
    // Keys and values of every row; then the selected rows' normed inputs (compacted into ffNormed,
    // free until the feed-forward) and residuals (into hidden), their attention and feed-forward.
    normedKeysAndValues(config: c, layout: layout, weights: w, layer: last, workspace: ws)
    gatherRows(a + act.attnNormed, into: a + act.ffNormed, batch: ws.batch, seq: ws.seq, positions: positions, width: d)
    gatherRows(a + act.input, into: a + act.hidden, batch: ws.batch, seq: ws.seq, positions: positions, width: d)
    compactAttention(config: c, layout: layout, weights: w, layer: last, keyMask: keyMask, workspace: ws,
                     positions: positions, normed: a + act.ffNormed)
    feedForwardHalfForward(config: c, layout: layout, weights: w, layer: last, workspace: ws, rows: nr,
                           hidden: a + act.hidden, out: a + ws.finalInput)
    // One head product for all nr rows into logits [nr, vocab], then each sequence's r rows moved to their place.
    headForward(config: c, layout: layout, weights: w, workspace: ws, rows: nr)
    placeCompactLogits(ws.logits, batch: ws.batch, seq: ws.seq, positions: positions, vocab: c.vocabSize)
}

/// The attention half of block `l` for the selected positions of every sequence, compacted: queries
/// from `normed` with their rotary angles starting at `positions.lowerBound`, attention over every
/// key and value in the block's slices, and `hidden += attn_out(context)`.
///
/// normed: [nr, d] (nr = batch * positions.count), not the q or context slice; on entry the block's
/// hidden slice holds the selected rows' residuals, [nr, d]; q, context: [nr, hd]; k, v: [batch * seq, kvd].
func compactAttention<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W, layer l: Int,
                                         keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace, positions: Range<Int>,
                                         normed: UnsafePointer<Float>) {
    let a = ws.storage.pointer, p = layout.blocks[l], act = ws.layers[l]
    let r = positions.count, nr = ws.batch * r, d = c.dModel, hd = c.nHeads * c.headDim, half = c.headDim / 2
    w.linear(x: normed, weightAt: p.q, y: a + act.q, rows: nr, inFeatures: d, outFeatures: hd, accumulate: false)
    rotaryForward(x: a + act.q, y: a + act.q, cos: a + ws.cos + positions.lowerBound * half,
                  sin: a + ws.sin + positions.lowerBound * half, batch: ws.batch, seq: r, heads: c.nHeads,
                  headDim: c.headDim, threads: w.threads)
    attentionForward(q: a + act.q, k: a + act.k, v: a + act.v, keyMask: keyMask, probs: nil, out: a + act.context,
                     batch: ws.batch, queries: r, seq: ws.seq, heads: c.nHeads, kvHeads: c.nKVHeads,
                     headDim: c.headDim, threads: w.threads)
    w.linear(x: a + act.context, weightAt: p.attnOut, y: a + act.hidden, rows: nr, inFeatures: hd, outFeatures: d,
             accumulate: true)
}
