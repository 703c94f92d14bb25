/// One named tensor inside the flat parameter buffer.
public struct TensorEntry: Sendable, Equatable {
    /// LLaDA's Hugging Face name, e.g. `model.transformer.blocks.0.q_proj.weight`.
    public var name: String
    /// The PyTorch shape: `[out, in]` for matrices, `[dim]` for norm weights.
    public var shape: [Int]
    /// Index of the first element in the flat buffer.
    public var offset: Int
    /// Number of elements, the product of `shape`.
    public var count: Int
}

/// Named tensors packed in one flat `Float` buffer: a model's weights or its adapters.
public protocol TensorLayout {
    /// Every tensor, in buffer order.
    var entries: [TensorEntry] { get }
    /// Number of `Float` elements of the whole buffer.
    var totalCount: Int { get }
}

/// Where every tensor of a model lives in one flat `Float` buffer (parameters, gradients and
/// optimiser moments all share it).
///
/// Order: `wte`, then per block `attn_norm, q_proj, k_proj, v_proj, attn_out, ff_norm, ff_proj,
/// up_proj, ff_out`, then `ln_f` and the head `ff_out`; tensors are packed without gaps.
public struct ParameterLayout: TensorLayout, Sendable {
    /// Every tensor, in buffer order.
    public let entries: [TensorEntry]
    /// Number of `Float` elements of the whole buffer (the parameter count).
    public let totalCount: Int
    /// Offsets of each block's tensors, for the forward and backward passes.
    let blocks: [BlockOffsets]
    /// Offset of the token embedding `wte`.
    let embedding: Int
    /// Offset of the final norm `ln_f`.
    let finalNorm: Int
    /// Offset of the output head `ff_out`.
    let head: Int
    private let index: [String: Int]

    /// Lays out the tensors of `config` (which need not be allocatable: the layout is only offsets).
    public init(config: ModelConfig) {
        let d = config.dModel, kv = config.nKVHeads * config.headDim, m = config.mlpHidden, v = config.vocabSize
        var packer = TensorPacker()
        embedding = packer.add("model.transformer.wte.weight", [v, d])
        var blocks: [BlockOffsets] = []
        for k in 0..<config.nLayers {
            let p = "model.transformer.blocks.\(k)."
            blocks.append(BlockOffsets(
                attnNorm: packer.add(p + "attn_norm.weight", [d]),
                q: packer.add(p + "q_proj.weight", [d, d]),
                k: packer.add(p + "k_proj.weight", [kv, d]),
                v: packer.add(p + "v_proj.weight", [kv, d]),
                attnOut: packer.add(p + "attn_out.weight", [d, d]),
                ffNorm: packer.add(p + "ff_norm.weight", [d]),
                ffProj: packer.add(p + "ff_proj.weight", [m, d]),
                up: packer.add(p + "up_proj.weight", [m, d]),
                ffOut: packer.add(p + "ff_out.weight", [d, m])))
        }
        self.blocks = blocks
        finalNorm = packer.add("model.transformer.ln_f.weight", [d])
        head = packer.add("model.transformer.ff_out.weight", [v, d])
        self.entries = packer.entries
        self.totalCount = packer.count
        self.index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    /// The tensor called `name`, or nil.
    public subscript(name: String) -> TensorEntry? {
        index[name].map { entries[$0] }
    }
}

/// Offsets of the nine tensors of one transformer block.
struct BlockOffsets: Sendable {
    var attnNorm, q, k, v, attnOut, ffNorm, ffProj, up, ffOut: Int
}

/// Lays out named tensors one after another, without gaps, in a flat buffer.
struct TensorPacker {
    /// The tensors so far, in buffer order.
    private(set) var entries: [TensorEntry] = []
    /// The elements so far: the next tensor's offset.
    private(set) var count = 0

    /// Appends the tensor `name` of `shape` and returns its offset.
    mutating func add(_ name: String, _ shape: [Int]) -> Int {
        let size = shape.reduce(1, *)
        entries.append(TensorEntry(name: name, shape: shape, offset: count, count: size))
        count += size
        return count - size
    }
}
