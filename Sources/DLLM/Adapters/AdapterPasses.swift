import Kernels

/// One adapted linear layer during a pass: its adapter matrices and its hidden in the workspace.
struct AdapterSlot {
    /// Offsets of A `[rank, in]` and B `[out, rank]` in the adapter buffer (and in its gradients).
    let a: Int, b: Int
    /// The layer's `[rows, rank]` hidden `x A^T`, kept by the forward for the backward.
    let hidden: UnsafeMutablePointer<Float>
}

/// The adapted layers of `layout` by the offset of their frozen weight in the base ``ParameterLayout``,
/// with their hiddens in `workspace`, which must have been built for these adapters; and the
/// workspace's `[rows, rank]` scratch for the gradient of a hidden.
func adapterSlots(_ layout: AdapterLayout, workspace ws: Workspace)
    -> (slots: [Int: AdapterSlot], dHidden: UnsafeMutablePointer<Float>) {
    guard let slices = ws.adapterSlices, slices.fit(layout) else {
        preconditionFailure("LoRA pass: the workspace was not built for these adapters (rank \(layout.lora.rank), "
            + "targets \(layout.lora.orderedTargets.map(\.rawValue)))")
    }
    var slots: [Int: AdapterSlot] = [:]
    for (block, hiddens) in zip(layout.blocks, slices.hidden) {
        for (layer, hidden) in zip(block, hiddens) {
            slots[layer.weight] = AdapterSlot(a: layer.a, b: layer.b, hidden: ws.storage.pointer + hidden)
        }
    }
    return (slots, ws.storage.pointer + slices.dHidden)
}

/// The weights of a frozen base with LoRA adapters on some of its linear layers:
/// `y = x W^T + scale * (x A^T) B^T` there, the hidden `x A^T` kept in the workspace.
struct AdaptedWeights<Base: ForwardWeights>: ForwardWeights {
    /// The frozen base.
    let base: Base
    /// The adapter buffer, in the ``AdapterLayout``.
    let adapters: UnsafePointer<Float>
    /// `alpha / rank`.
    let scale: Float
    /// The adapters' rank.
    let rank: Int
    /// The adapted layers by the offset of their base weight.
    let slots: [Int: AdapterSlot]

    /// The base's embedding lookup.
    func embed(tokens: UnsafePointer<Int32>, tableAt offset: Int, out: UnsafeMutablePointer<Float>,
               count: Int, vocab: Int, dim: Int) {
        base.embed(tokens: tokens, tableAt: offset, out: out, count: count, vocab: vocab, dim: dim)
    }

    /// The base's norm weight.
    func vector(at offset: Int, count: Int) -> UnsafePointer<Float> {
        base.vector(at: offset, count: count)
    }

    /// The base layer, then the adapter's share when the layer is adapted.
    func linear(x: UnsafePointer<Float>, weightAt offset: Int, y: UnsafeMutablePointer<Float>,
                rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool) {
        base.linear(x: x, weightAt: offset, y: y, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures,
                    accumulate: accumulate)
        if let slot = slots[offset] {
            loraAdapterForward(x: x, a: adapters + slot.a, b: adapters + slot.b, scale: scale, hidden: slot.hidden, y: y,
                               rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, rank: rank)
        }
    }
}

/// The backward of a frozen base with adapters: input gradients through W and the adapters,
/// gradients of the adapters only (no gradient for any base weight, norm or embedding).
struct AdapterGradients<Base: FrozenWeights>: ParameterGradients {
    /// The frozen base.
    let base: Base
    /// The adapter buffer, in the ``AdapterLayout``.
    let adapters: UnsafePointer<Float>
    /// The adapters' gradients, same layout, added to.
    let gradients: UnsafeMutablePointer<Float>
    /// `alpha / rank`.
    let scale: Float
    /// The adapters' rank.
    let rank: Int
    /// The adapted layers by the offset of their base weight.
    let slots: [Int: AdapterSlot]
    /// `[rows, rank]` scratch for the gradient of a hidden.
    let dHidden: UnsafeMutablePointer<Float>

    /// dX through the frozen W, then the adapter's gradients and share of dX when the layer is adapted.
    func linear(x: UnsafePointer<Float>, weightAt offset: Int, dY: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>,
                rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool) {
        base.linearInputGradient(dY: dY, weightAt: offset, dX: dX, rows: rows, inFeatures: inFeatures,
                                 outFeatures: outFeatures, accumulate: accumulate)
        if let slot = slots[offset] {
            loraAdapterBackward(x: x, a: adapters + slot.a, b: adapters + slot.b, scale: scale,
                                hidden: slot.hidden, dY: dY, dHidden: dHidden, dX: dX,
                                dA: gradients + slot.a, dB: gradients + slot.b,
                                rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, rank: rank)
        }
    }

    /// dX only: the norm weight is frozen.
    func norm(x: UnsafePointer<Float>, weightAt offset: Int, rstd: UnsafePointer<Float>, dY: UnsafePointer<Float>,
              dX: UnsafeMutablePointer<Float>, rows: Int, dim: Int) {
        rmsnormBackward(x: x, weight: base.vector(at: offset, count: dim), rstd: rstd, dY: dY, dX: dX, dWeight: nil,
                        rows: rows, dim: dim)
    }

    /// The embedding is frozen: nothing to do.
    func embedding(tokens: UnsafePointer<Int32>, dOut: UnsafePointer<Float>, tableAt offset: Int, count: Int,
                   vocab: Int, dim: Int) {}
}
