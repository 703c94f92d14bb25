import Base
import Checkpoint
import DLLM
import Foundation

/// `bgpo export hf`: a bgpo model directory to a LLaDA-style Hugging Face model directory.
public enum HuggingFaceExport {
    /// The default largest shard, 5 GB as `transformers` writes them.
    public static let defaultMaxShardBytes = 5_000_000_000

    /// Writes the bgpo model in `directory` as a Hugging Face model directory at `output`:
    /// `config.json` (LLaDA's field names), the weights as `model.safetensors` or, beyond
    /// `maxShardBytes`, as shards `model-0000i-of-0000n.safetensors` with
    /// `model.safetensors.index.json`, and the tokenizer files of a BPE model.
    ///
    /// `weights` replaces the directory's own weights, e.g. by a training checkpoint's
    /// `model.safetensors.zst` (the directory then gives only the configuration and the tokenizer).
    /// Tensors are written in `dtype`, or as stored when nil (F32 for trained models). A plain
    /// weights file is copied one tensor at a time; a compressed one is loaded whole first.
    /// `fold`, when given, sees every tensor in F32 before it is written and may change it in
    /// place (a LoRA merge: ``DLLM/AdapterLayout/merge(_:intoWeightAt:_:)``).
    /// Everything is written beside `output` and renamed into place at the end; `output` must not exist.
    public static func export(from directory: URL, weights: URL? = nil, to output: URL, dtype: TensorDType? = nil,
                              maxShardBytes: Int = defaultMaxShardBytes, fold: TensorFold? = nil) throws {
        let (description, tokenizer) = try ModelStore.readDescription(from: directory)
        let layout = ParameterLayout(config: description.config)
        let plain = directory.appendingPathComponent(ModelStore.weightsFile)
        let source = try ExportSource(
            weights: weights ?? (FileManager.default.fileExists(atPath: plain.path)
                ? plain : directory.appendingPathComponent(ModelStore.compressedWeightsFile)),
            config: description.config, layout: layout, fold: fold)
        let dtypes = layout.entries.map { dtype ?? source.storedDType(of: $0) }
        let shards = shardRanges(layout.entries.indices.map { layout.entries[$0].count * dtypes[$0].byteWidth },
                                 maxBytes: maxShardBytes)
        try StagingDirectory.produce(output) { staging in
            var weightMap: [String: String] = [:]
            let copier = TensorCopier()
            for (s, range) in shards.enumerated() {
                let name = shards.count == 1 ? HuggingFaceWeights.singleFile
                    : String(format: "model-%05d-of-%05d.safetensors", s + 1, shards.count)
                let descriptors = range.map { TensorDescriptor(name: layout.entries[$0].name, shape: layout.entries[$0].shape,
                                                               dtype: dtypes[$0]) }
                _ = try Safetensors.write(descriptors, metadata: ["format": "pt"], to: staging.appendingPathComponent(name)) {
                    try source.view(of: layout.entries[range.lowerBound + $0], dtype: dtypes[range.lowerBound + $0],
                                    copier: copier)
                }
                for i in range { weightMap[layout.entries[i].name] = name }
            }
            if shards.count > 1 {
                let total = layout.entries.indices.reduce(0) { $0 + layout.entries[$1].count * dtypes[$1].byteWidth }
                try writeJSON(["metadata": ["total_size": total], "weight_map": weightMap],
                              to: staging.appendingPathComponent(HuggingFaceWeights.indexFile))
            }
            let torchDType = ["F32": "float32", "BF16": "bfloat16", "F16": "float16"][dtypes.last!.rawValue]!
            let config = LLaDAConfigFile(config: description.config, dtype: torchDType,
                                         tokenizer: tokenizer is BPETokenizer ? nil : tokenizer.identifier)
            try config.encoded().write(to: staging.appendingPathComponent(LLaDAConfigFile.fileName))
            try tokenizer.writeFiles(to: staging)
        }
    }

    /// Consecutive index ranges whose byte sizes add up to at most `maxBytes` (a bigger tensor alone).
    static func shardRanges(_ sizes: [Int], maxBytes: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0, bytes = 0
        for (i, size) in sizes.enumerated() {
            if i > start && bytes + size > maxBytes {
                ranges.append(start..<i)
                start = i
                bytes = 0
            }
            bytes += size
        }
        ranges.append(start..<sizes.count)
        return ranges
    }

    /// Writes `object` as pretty-printed JSON with sorted keys.
    private static func writeJSON(_ object: Any, to url: URL) throws {
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: url)
    }
}

/// A change applied to a tensor of the model's ``DLLM/ParameterLayout`` on its way out: the tensor's
/// entry and its elements in F32, changed in place.
public typealias TensorFold = (TensorEntry, UnsafeMutablePointer<Float>) -> Void

/// Where an export reads tensors from: the plain weights file tensor by tensor, or a whole model
/// loaded from the compressed one; with the fold to apply on the way out.
private enum ExportSource {
    case file(SafetensorsFile, fold: TensorFold?)
    case loaded(Model)

    /// Opens `weights`: a plain safetensors file is checked against `layout` and read later, a
    /// zstd-compressed one (name ending in `.zst`) is read whole now (and folded now).
    init(weights: URL, config: ModelConfig, layout: ParameterLayout, fold: TensorFold?) throws {
        guard weights.pathExtension != "zst" else {
            let parameters = FlatBuffer(count: layout.totalCount)
            _ = try Safetensors.read(weights, compressed: true, into: layout.tensorDestinations(in: parameters))
            for entry in layout.entries { fold?(entry, parameters.pointer + entry.offset) }
            self = .loaded(Model(config: config, parameters: parameters))
            return
        }
        let file = try SafetensorsFile(url: weights)
        for entry in layout.entries {
            guard let stored = file.header[entry.name], stored.descriptor.shape == entry.shape else {
                throw CheckpointError(.invalidContent, path: weights.path,
                                      "tensor '\(entry.name)' is missing or not of shape \(entry.shape)")
            }
        }
        self = .file(file, fold: fold)
    }

    /// The dtype `entry` is stored in.
    func storedDType(of entry: TensorEntry) -> TensorDType {
        switch self {
        case .file(let file, _): file.header[entry.name]!.descriptor.dtype
        case .loaded: .f32
        }
    }

    /// `entry` as a view to write in `dtype`.
    func view(of entry: TensorEntry, dtype: TensorDType, copier: TensorCopier) throws -> TensorView {
        switch self {
        case .file(let file, nil):
            return try copier.view(of: file.header[entry.name]!, in: file, as: entry.name, dtype: dtype)
        case .file(let file, let fold?):
            let floats = try copier.floats(of: file.header[entry.name]!, in: file)
            fold(entry, floats.baseAddress!)
            return TensorView(name: entry.name, shape: entry.shape, floats: UnsafeBufferPointer(floats), storedAs: dtype)
        case .loaded(let model):
            return model.layout.tensorView(of: model.parameters, entry: entry, storedAs: dtype)
        }
    }
}
