import Kernels

/// A forward-only pass that recomputes the positions `positions` of every sequence only and reads
/// every other position's keys and values from `workspace`, where the previous pass left them:
/// block-wise caching for the sampler (Fast-dLLM's dual cache), approximate.
///
/// The previous pass on `workspace` must have been ``modelForward(_:tokens:keyMask:workspace:)`` or
/// ``modelForward(_:tokens:keyMask:workspace:positions:)`` (which leave every layer's keys and values
/// of every position) or this one, over the same batch, sequence length and key mask. In every
/// block, the selected rows' keys and values are computed from `tokens` and written into those
/// slices, and the selected rows attend to every position. When no token outside `positions` changed
/// since the keys and values of the other positions were computed, and their own computation did
/// not read tokens that have changed since, the logits are those of the full pass up to float
/// rounding; when tokens changed (the sampler commits tokens of the current block, which every other
/// position attends to), the other positions' keys and values are stale: that is the approximation.
///
/// tokens, keyMask: [batch * seq]; positions: a non-empty range within `0..<seq`; the logits land
/// in rows `b * seq + positions` of `workspace.logits`, [batch * seq, vocab]; other rows are
/// unspecified, and the workspace holds no activations a backward could use.
public func modelForward(_ model: Model, tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?,
                         workspace ws: Workspace, recomputing positions: Range<Int>) {
    precondition(ws.config == model.config, "modelForward: workspace was built for another model configuration")
    forward(config: model.config, layout: model.layout, weights: F32Weights(base: model.parameters.pointer),
            tokens: tokens, keyMask: keyMask, workspace: ws, recomputing: positions)
}

/// The pass of ``modelForward(_:tokens:keyMask:workspace:recomputing:)`` over any weight storage.
///
/// Per block l, over nr = batch * r compact rows (r = positions.count): input, attnNormed, hidden:
/// [nr, d]; q, context: [nr, hd]; the selected rows of k, v: [batch * seq, kvd] replaced.
func forward<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W, tokens: UnsafePointer<Int32>,
                                keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace, recomputing positions: Range<Int>) {
    precondition(!positions.isEmpty && positions.lowerBound >= 0 && positions.upperBound <= ws.seq,
                 "modelForward: positions \(positions) must be a non-empty range within 0..<\(ws.seq)")
    let a = ws.storage.pointer, r = positions.count, nr = ws.batch * r
    let d = c.dModel, kvd = c.nKVHeads * c.headDim, half = c.headDim / 2
    // The selected tokens, compacted into the workspace's token buffer (no backward reads it after this pass).
    gatherRows(tokens, into: ws.tokens, batch: ws.batch, seq: ws.seq, positions: positions, width: 1)
    w.embed(tokens: ws.tokens, tableAt: layout.embedding, out: a + (ws.layers.first?.input ?? ws.finalInput),
            count: nr, vocab: c.vocabSize, dim: d)
    for l in 0..<c.nLayers {
        let p = layout.blocks[l], act = ws.layers[l]
        let next = l + 1 < ws.layers.count ? ws.layers[l + 1].input : ws.finalInput
        rmsnormForward(x: a + act.input, weight: w.vector(at: p.attnNorm, count: d), y: a + act.attnNormed,
                       rstd: a + act.attnRstd, rows: nr, dim: d, eps: c.normEps)
        // The selected rows' keys (rotated from positions.lowerBound) and values, through the context
        // slice (free until the attention) into their rows of the cached k and v.
        for (weight, cache, rotated) in [(p.k, act.k, true), (p.v, act.v, false)] {
            w.linear(x: a + act.attnNormed, weightAt: weight, y: a + act.context, rows: nr, inFeatures: d,
                     outFeatures: kvd, accumulate: false)
            if rotated {
                rotaryForward(x: a + act.context, y: a + act.context, cos: a + ws.cos + positions.lowerBound * half,
                              sin: a + ws.sin + positions.lowerBound * half, batch: ws.batch, seq: r,
                              heads: c.nKVHeads, headDim: c.headDim)
            }
            scatterRows(a + act.context, into: a + cache, batch: ws.batch, seq: ws.seq, positions: positions, width: kvd)
        }
        (a + act.hidden).update(from: a + act.input, count: nr * d)
        compactAttention(config: c, layout: layout, weights: w, layer: l, keyMask: keyMask, workspace: ws,
                         positions: positions, normed: a + act.attnNormed)
        feedForwardHalfForward(config: c, layout: layout, weights: w, layer: l, workspace: ws, rows: nr,
                               hidden: a + act.hidden, out: a + next)
    }
    headForward(config: c, layout: layout, weights: w, workspace: ws, rows: nr)
    placeCompactLogits(ws.logits, batch: ws.batch, seq: ws.seq, positions: positions, vocab: c.vocabSize)
}

/// The pass `scope` names over the weights `w`.
func forward<W: ForwardWeights>(config c: ModelConfig, layout: ParameterLayout, weights w: W, tokens: UnsafePointer<Int32>,
                                keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace, scope: ForwardScope) {
    precondition(ws.config == c, "forward: workspace was built for another model configuration")
    switch scope {
    case .logits(of: nil):
        forward(config: c, layout: layout, weights: w, tokens: tokens, keyMask: keyMask, workspace: ws)
    case .logits(of: let positions?):
        forward(config: c, layout: layout, weights: w, tokens: tokens, keyMask: keyMask, workspace: ws, positions: positions)
    case .recomputing(let positions):
        forward(config: c, layout: layout, weights: w, tokens: tokens, keyMask: keyMask, workspace: ws, recomputing: positions)
    }
}
