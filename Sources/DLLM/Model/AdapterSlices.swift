/// Offsets (into a ``Workspace``'s storage) of what LoRA adapters add to a forward/backward pair:
/// the `[batch * seq, rank]` hidden `x A^T` of every adapted layer, kept for the backward, and one
/// `[batch * seq, rank]` scratch for its gradient.
struct AdapterSlices {
    /// The adapters the slices were carved for (their rank and targets are what matter).
    let lora: LoRAConfig
    /// `hidden[l][i]`: the hidden of the `i`-th adapted layer of block `l`, in ``AdapterLayout`` order.
    let hidden: [[Int]]
    /// The backward's `[batch * seq, rank]` gradient of a hidden (scratch).
    let dHidden: Int

    /// Carves the slices of `layout`'s adapters for `rows` rows.
    init(layout: AdapterLayout, rows: Int, carver: inout SliceCarver) {
        let size = rows * layout.lora.rank
        lora = layout.lora
        hidden = layout.blocks.map { block in block.map { _ in carver.take(size) } }
        dHidden = carver.take(size)
    }

    /// Whether these slices fit the adapters of `layout` (same rank, same targets, same depth).
    func fit(_ layout: AdapterLayout) -> Bool {
        lora.rank == layout.lora.rank && lora.targetModules == layout.lora.targetModules
            && hidden.count == layout.blocks.count
    }
}
