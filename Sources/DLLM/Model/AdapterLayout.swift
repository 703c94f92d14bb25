import Base
import Kernels

/// One of the two matrices of a LoRA adapter; raw values as in PEFT's `lora_A` and `lora_B`.
public enum AdapterMatrix: String, Sendable {
    /// The down projection A, `[rank, in]`.
    case a = "A"
    /// The up projection B, `[out, rank]`.
    case b = "B"
}

/// One adapted linear layer of a block: where its frozen weight and its adapter matrices live.
struct AdaptedLinear: Sendable, Equatable {
    /// Which layer of the block.
    var target: LoRATarget
    /// Offset of the frozen weight `[outFeatures, inFeatures]` in the base model's ``ParameterLayout``.
    var weight: Int
    /// Offset of A, `[rank, inFeatures]`, in the adapter buffer.
    var a: Int
    /// Offset of B, `[outFeatures, rank]`, in the adapter buffer.
    var b: Int
    /// The layer's input and output widths.
    var inFeatures: Int, outFeatures: Int
}

/// Where every LoRA adapter tensor lives in one flat `Float` buffer (adapters, their gradients and
/// optimiser moments all share it).
///
/// Order: per block, the targeted layers in layout order (``LoRAConfig/orderedTargets``), each A
/// then B; tensors are packed without gaps. Names are those `peft` saves for a model whose linear
/// layers are LLaDA's `model.transformer.blocks.{k}.{module}`:
/// `base_model.model.model.transformer.blocks.{k}.{module}.lora_A.weight` (`[r, in]`) and
/// `...lora_B.weight` (`[out, r]`).
public struct AdapterLayout: TensorLayout, Sendable, Equatable {
    /// The adapters' configuration.
    public let lora: LoRAConfig
    /// Every tensor, in buffer order.
    public let entries: [TensorEntry]
    /// Number of `Float` elements of the whole buffer (the trainable parameter count).
    public let totalCount: Int
    /// Per block, its adapted layers in layout order.
    let blocks: [[AdaptedLinear]]
    private let index: [String: Int]

    /// Lays out the adapters `lora` on a model of shape `config`; throws ``LoRAConfigError`` when
    /// `lora` does not pass ``LoRAConfig/validate(for:)``.
    public init(config: ModelConfig, lora: LoRAConfig) throws {
        try lora.validate(for: config)
        let base = ParameterLayout(config: config), r = lora.rank
        var packer = TensorPacker()
        blocks = base.blocks.enumerated().map { k, block in
            lora.orderedTargets.map { target in
                let (outFeatures, inFeatures) = target.shape(config)
                let a = packer.add(AdapterLayout.name(block: k, target: target, matrix: .a), [r, inFeatures])
                let b = packer.add(AdapterLayout.name(block: k, target: target, matrix: .b), [outFeatures, r])
                return AdaptedLinear(target: target, weight: target.weightOffset(block), a: a, b: b,
                                     inFeatures: inFeatures, outFeatures: outFeatures)
            }
        }
        self.lora = lora
        self.entries = packer.entries
        self.totalCount = packer.count
        self.index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    /// PEFT's name of adapter matrix `matrix` of layer `target` of block `block`.
    public static func name(block: Int, target: LoRATarget, matrix: AdapterMatrix) -> String {
        "base_model.model.model.transformer.blocks.\(block).\(target.rawValue).lora_\(matrix.rawValue).weight"
    }

    /// The tensor called `name`, or nil.
    public subscript(name: String) -> TensorEntry? {
        index[name].map { entries[$0] }
    }

    /// Folds into `weight` the adapter of the layer whose frozen weight starts at `offset` in the base
    /// model's ``ParameterLayout``: `W += (alpha / r) B A`, as PEFT's `merge_and_unload`. `weight` is
    /// that tensor in F32 (`[outFeatures, inFeatures]`); `adapters` is laid out by this layout.
    /// Returns false, leaving `weight` untouched, when no adapter of this layout targets that weight.
    public func merge(_ adapters: FlatBuffer, intoWeightAt offset: Int, _ weight: UnsafeMutablePointer<Float>) -> Bool {
        precondition(adapters.count == totalCount,
                     "AdapterLayout.merge: buffer has \(adapters.count) elements, layout needs \(totalCount)")
        guard let layer = blocks.lazy.joined().first(where: { $0.weight == offset }) else { return false }
        loraMerge(weight: weight, a: adapters.pointer + layer.a, b: adapters.pointer + layer.b, scale: lora.scale,
                  inFeatures: layer.inFeatures, outFeatures: layer.outFeatures, rank: lora.rank)
        return true
    }

    /// Fills `adapters` (`[totalCount]`) as PEFT's default initialisation (`init_lora_weights=True`)
    /// does: A Kaiming-uniform with a = sqrt(5), i.e. uniform in `[-1/sqrt(in), 1/sqrt(in)]`, and B zero.
    ///
    /// A of layer `target` of block `k` draws from `CounterRandom(seed: seed, purpose: .adapterInitialization,
    /// k, i)` with `i` the target's index in ``LoRATarget/allCases``, row-major, so every matrix depends
    /// only on the seed, its block, its layer and the rank.
    public func initialize(_ adapters: FlatBuffer, seed: UInt64) {
        precondition(adapters.count == totalCount,
                     "AdapterLayout.initialize: buffer has \(adapters.count) elements, layout needs \(totalCount)")
        let p = adapters.pointer, r = lora.rank
        for (k, block) in blocks.enumerated() {
            for layer in block {
                let targetIndex = LoRATarget.allCases.firstIndex(of: layer.target) ?? 0
                var rng = CounterRandom(seed: seed, purpose: .adapterInitialization, UInt64(k), UInt64(targetIndex))
                let bound = 1 / Double(layer.inFeatures).squareRoot()
                for j in 0..<(r * layer.inFeatures) { p[layer.a + j] = Float((2 * rng.nextDouble() - 1) * bound) }
                (p + layer.b).update(repeating: 0, count: layer.outFeatures * r)
            }
        }
    }
}
