import Checkpoint
import DLLM
import Foundation

/// The tensors of a Hugging Face model directory: `model.safetensors`, or the shards named by
/// `model.safetensors.index.json`, opened (headers read and checked) but not read.
///
/// Every problem names its file and tensor: a missing or corrupt shard, an index entry whose
/// shard lacks the tensor, a shard tensor the index does not list, a tensor bgpo's layout does
/// not have (biases, fused projections), a missing tensor, a shape or dtype bgpo cannot use.
struct HuggingFaceWeights {
    /// The single-file weights' name.
    static let singleFile = "model.safetensors"
    /// The shard index's name.
    static let indexFile = "model.safetensors.index.json"

    /// A stored tensor and the file holding it.
    struct Source {
        var file: SafetensorsFile
        var entry: SafetensorsEntry
    }

    /// The source of every tensor of the layout, in layout order.
    let sources: [(entry: TensorEntry, source: Source)]

    /// Opens the weights in `directory` and matches them to `layout`. With tied weights
    /// (`weightTying`; when nil, as the files show: LLaDA's default is tied), the head
    /// `model.transformer.ff_out.weight` is the embedding, which the files must not repeat.
    init(directory: URL, layout: ParameterLayout, weightTying: Bool?) throws {
        var byName: [String: Source] = [:]
        for (file, listed) in try Self.files(in: directory) {
            let url = directory.appendingPathComponent(file)
            let opened: SafetensorsFile
            do {
                opened = try SafetensorsFile(url: url)
            } catch let error as CheckpointError {
                throw HuggingFaceError(file: url.path, "corrupt or unreadable shard: \(error.problem)")
            }
            for entry in opened.header.entries {
                let name = entry.descriptor.name
                if let listed, !listed.contains(name) {
                    throw HuggingFaceError(file: directory.appendingPathComponent(Self.indexFile).path,
                                           field: "weight_map", "does not list tensor '\(name)' of \(file)")
                }
                byName[name] = Source(file: opened, entry: entry)
            }
            for name in listed ?? [] where opened.header[name] == nil {
                throw HuggingFaceError(file: directory.appendingPathComponent(Self.indexFile).path,
                                       field: "weight_map.\(name)", "names shard \(file), which has no such tensor")
            }
        }
        let head = "model.transformer.ff_out.weight"
        let wte = "model.transformer.wte.weight"
        let tiedHead = weightTying ?? (byName[head] == nil)
        for (name, source) in byName where layout[name] == nil || (tiedHead && name == head) {
            let why = name.hasSuffix(".bias") ? "biases are not supported"
                : tiedHead && name == head ? "config.json says weight_tying, yet the head is stored"
                : "not a tensor of LLaDA's llama blocks (\(layout.entries.count) tensors expected)"
            throw HuggingFaceError(file: source.file.url.path, field: name, why)
        }
        sources = try layout.entries.map { entry in
            let stored = tiedHead && entry.name == head ? wte : entry.name
            guard let source = byName[stored] else {
                throw HuggingFaceError(file: directory.path, field: stored, "tensor missing from the weights")
            }
            let descriptor = source.entry.descriptor
            guard descriptor.shape == entry.shape else {
                throw HuggingFaceError(file: source.file.url.path, field: stored,
                                       "shape \(descriptor.shapeDescription), config.json implies "
                                       + TensorDescriptor(name: "", shape: entry.shape, dtype: .f32).shapeDescription)
            }
            guard [.f32, .bf16, .f16].contains(descriptor.dtype) else {
                throw HuggingFaceError(file: source.file.url.path, field: stored,
                                       "dtype \(descriptor.dtype.rawValue) is not a float type (F32, BF16, F16)")
            }
            return (entry, source)
        }
    }

    /// The weight files of `directory` and, when they come from an index, the tensors it assigns to each.
    private static func files(in directory: URL) throws -> [(String, Set<String>?)] {
        let index = directory.appendingPathComponent(indexFile)
        guard let data = FileManager.default.contents(atPath: index.path) else {
            guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(singleFile).path) else {
                throw HuggingFaceError(file: directory.path, "neither \(singleFile) nor \(indexFile)")
            }
            return [(singleFile, nil)]
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw HuggingFaceError(file: index.path, "not a JSON object")
        }
        guard let map = root["weight_map"] as? [String: Any] else {
            throw HuggingFaceError(file: index.path, field: "weight_map", "missing or not an object")
        }
        var shards: [String: Set<String>] = [:]
        for (name, value) in map {
            guard let file = value as? String, !file.contains("/"), file.hasSuffix(".safetensors") else {
                throw HuggingFaceError(file: index.path, field: "weight_map.\(name)", "\(value) is not a shard file name")
            }
            guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path) else {
                throw HuggingFaceError(file: index.path, field: "weight_map.\(name)", "names shard \(file), which does not exist")
            }
            shards[file, default: []].insert(name)
        }
        return shards.keys.sorted().map { ($0, shards[$0]) }
    }
}
