import Base

/// Whether a ``LoRAModel`` pass uses its adapters or runs its frozen base alone.
public enum AdapterSwitch: Sendable {
    /// `y = x W^T + (alpha / r) (x A^T) B^T` on the adapted layers.
    case on
    /// The base model alone (diffu-GRPO's reference model).
    case off
}

/// The frozen weights under a ``LoRAModel``.
public enum FrozenBase {
    /// F32 weights, used in place.
    case f32(Model)
    /// bfloat16 weights, widened piece by piece as a pass needs them.
    case bf16(BF16Model)

    /// The base's shape.
    public var config: ModelConfig {
        switch self {
        case .f32(let model): model.config
        case .bf16(let model): model.config
        }
    }
}

/// A LLaDA-style mask predictor with trainable LoRA adapters over frozen base weights.
///
/// The base (``FrozenBase``) is never written and never gets a gradient: only ``adapters`` train,
/// and their gradients and optimiser moments are F32 buffers of `layout.totalCount` elements.
/// With the adapters switched off a pass runs the base alone, so diffu-GRPO's reference model needs
/// no second copy of the weights; its logits then equal the base model's exactly.
///
/// Workspaces come from ``makeWorkspace(batch:seq:)``: they keep, besides what the base's passes
/// keep, the `[batch * seq, rank]` hidden of every adapted layer and one scratch of that size.
/// A backward with a bfloat16 base widens each matrix in chunks, as its forward does (no F32 copy).
/// One pass at a time: a bfloat16 base widens into one scratch buffer.
public final class LoRAModel {
    /// The model's shape.
    public let config: ModelConfig
    /// The frozen weights.
    public let base: FrozenBase
    /// Where each adapter tensor lives in ``adapters``; its ``AdapterLayout/lora`` is the configuration.
    public let layout: AdapterLayout
    /// The trainable adapters, in ``layout``.
    public let adapters: FlatBuffer
    private let baseLayout: ParameterLayout
    private let weights: any FrozenWeights

    /// Adapters `lora` over `base`, initialised as PEFT does (``AdapterLayout/initialize(_:seed:)``);
    /// throws ``LoRAConfigError`` when `lora` does not fit the base's shape.
    public convenience init(base: FrozenBase, lora: LoRAConfig, seed: UInt64) throws {
        let layout = try AdapterLayout(config: base.config, lora: lora)
        let adapters = FlatBuffer(count: layout.totalCount)
        layout.initialize(adapters, seed: seed)
        try self.init(base: base, lora: lora, adapters: adapters)
    }

    /// Adapters `lora` over `base` with the given values (`[layout.totalCount]`, the layout of `lora`
    /// on the base's shape); throws ``LoRAConfigError`` when `lora` does not fit the base's shape.
    public init(base: FrozenBase, lora: LoRAConfig, adapters: FlatBuffer) throws {
        let layout = try AdapterLayout(config: base.config, lora: lora)
        precondition(adapters.count == layout.totalCount,
                     "LoRAModel: adapter buffer has \(adapters.count) elements, layout needs \(layout.totalCount)")
        self.config = base.config
        self.base = base
        self.layout = layout
        self.adapters = adapters
        switch base {
        case .f32(let model):
            baseLayout = model.layout
            weights = F32Weights(base: model.parameters.pointer)
        case .bf16(let model):
            baseLayout = model.layout
            weights = model.widened
        }
    }

    /// Over an F32 base, true (the adapters' scratch is the workspace's); over a bfloat16 base,
    /// false (its one widening scratch).
    public var allowsConcurrentPasses: Bool {
        switch base {
        case .f32: true
        case .bf16: false
        }
    }

    /// A workspace for `batch` sequences of `seq` tokens with room for the adapters' hiddens.
    public func makeWorkspace(batch: Int, seq: Int) -> Workspace {
        Workspace(config: config, batch: batch, seq: seq, adapters: layout)
    }

    /// The pass `scope` names with the adapters on; after a pass of every position,
    /// ``backward(workspace:gradients:)`` can follow.
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace,
                        scope: ForwardScope) {
        forward(tokens: tokens, keyMask: keyMask, workspace: ws, adapters: .on, scope: scope)
    }

    /// The frozen base alone, as a model of its own: diffu-GRPO's reference policy, with no second
    /// copy of the weights.
    public var baseOnly: any ForwardModel { LoRABaseModel(model: self) }

    /// The pass `scope` names with the adapters on or off (by default every position).
    ///
    /// Only a forward of every position with the adapters on can be followed by ``backward(workspace:gradients:)``.
    /// With the adapters off the workspace need not have room for them.
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace,
                        adapters use: AdapterSwitch, scope: ForwardScope = .logits(of: nil)) {
        adaptedForward(weights, tokens: tokens, keyMask: keyMask, workspace: ws, adapters: use, scope: scope)
    }

    /// The backward pass of the last forward with the adapters on run in `workspace`.
    ///
    /// Reads `workspace.dLogits` and ACCUMULATES the adapters' gradients into `gradients`
    /// (`[layout.totalCount]`, the layout of ``adapters``); the base gets none. The workspace's
    /// activations are left intact, as ``modelBackward(_:workspace:gradients:)`` leaves them.
    public func backward(workspace ws: Workspace, gradients: FlatBuffer) {
        precondition(ws.config == config, "LoRAModel.backward: workspace was built for another model configuration")
        precondition(gradients.count == layout.totalCount,
                     "LoRAModel.backward: gradient buffer has \(gradients.count) elements, layout needs \(layout.totalCount)")
        adaptedBackward(weights, workspace: ws, gradients: gradients)
    }

    /// The pass `scope` names with the adapters on or off, over the base weights `w`.
    private func adaptedForward<W: FrozenWeights>(_ w: W, tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?,
                                                  workspace ws: Workspace, adapters use: AdapterSwitch, scope: ForwardScope) {
        switch use {
        case .off:
            DLLM.forward(config: config, layout: baseLayout, weights: w, tokens: tokens, keyMask: keyMask, workspace: ws,
                         scope: scope)
        case .on:
            let adapted = AdaptedWeights(base: w, adapters: adapters.pointer, scale: layout.lora.scale,
                                         rank: layout.lora.rank, slots: adapterSlots(layout, workspace: ws).slots)
            DLLM.forward(config: config, layout: baseLayout, weights: adapted, tokens: tokens, keyMask: keyMask,
                         workspace: ws, scope: scope)
        }
    }

    /// ``backward(workspace:gradients:)`` over the base weights `w`.
    private func adaptedBackward<W: FrozenWeights>(_ w: W, workspace ws: Workspace, gradients: FlatBuffer) {
        let (slots, dHidden) = adapterSlots(layout, workspace: ws)
        let g = AdapterGradients(base: w, adapters: adapters.pointer, gradients: gradients.pointer, scale: layout.lora.scale,
                                 rank: layout.lora.rank, slots: slots, dHidden: dHidden)
        DLLM.backward(config: config, layout: baseLayout, parameters: g, workspace: ws)
    }
}

extension LoRAModel: TrainableModel {
    /// The adapters.
    public var trainableParameters: FlatBuffer { adapters }
    /// The ``AdapterLayout``: the adapter tensors, with PEFT's names.
    public var trainableLayout: any TensorLayout { layout }
}

/// The frozen base of a ``LoRAModel`` with its adapters switched off (``LoRAModel/baseOnly``).
final class LoRABaseModel: ForwardModel {
    private let model: LoRAModel

    init(model: LoRAModel) { self.model = model }

    var config: ModelConfig { model.config }

    var allowsConcurrentPasses: Bool { model.allowsConcurrentPasses }

    /// The adapted model's workspace (room for the adapters' hiddens the base's passes leave
    /// unused), so that one pool of workspaces serves the policy and its reference.
    func makeWorkspace(batch: Int, seq: Int) -> Workspace {
        model.makeWorkspace(batch: batch, seq: seq)
    }

    func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace: Workspace, scope: ForwardScope) {
        model.forward(tokens: tokens, keyMask: keyMask, workspace: workspace, adapters: .off, scope: scope)
    }
}
