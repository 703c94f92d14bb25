import Base
import Checkpoint
import DLLM
import Foundation

/// The description of a stored model, `model.json`: the shape and the tokenizer, so that the
/// weights decode the same text wherever they are loaded.
public struct ModelDescription: Codable, Sendable, Equatable {
    /// The format name, always ``ModelStore/format``.
    public var format: String
    /// The format version, ``ModelStore/version``.
    public var version: Int
    /// The transformer's shape.
    public var config: ModelConfig
    /// The tokenizer's identifier, e.g. "char-v1" (see ``DLLM/TokenizerRegistry``).
    public var tokenizer: String
    /// Free-form provenance (task, steps, command line, ...).
    public var metadata: [String: String]

    /// Creates a description.
    public init(config: ModelConfig, tokenizer: String, metadata: [String: String] = [:]) {
        self.format = ModelStore.format
        self.version = ModelStore.version
        self.config = config
        self.tokenizer = tokenizer
        self.metadata = metadata
    }
}

/// Model files: a directory holding `model.json` (``ModelDescription``) and the weights as a
/// safetensors file with LLaDA's tensor names, either plain (`model.safetensors`) or as one
/// zstd frame (`model.safetensors.zst`, the checkpoint format's model file). Saved models are F32;
/// imported ones keep their BF16 or F16 tensors, widened to F32 on loading. A model with a
/// Hugging Face tokenizer also holds its `tokenizer.json` and `tokenizer_config.json`.
public enum ModelStore {
    /// The value of ``ModelDescription/format``.
    public static let format = "bgpo-model"
    /// The current ``ModelDescription/version``.
    public static let version = 1
    /// The description's file name.
    public static let descriptionFile = "model.json"
    /// The plain weights' file name.
    public static let weightsFile = "model.safetensors"
    /// The compressed weights' file name.
    public static let compressedWeightsFile = "model.safetensors.zst"

    /// Writes `model` and its description into `directory` (created if needed), replacing an
    /// earlier model there. The weights are written first, the description last.
    public static func save(_ model: Model, tokenizer: any Tokenizer, to directory: URL,
                            metadata: [String: String] = [:], compression: CompressionOptions? = nil) throws {
        try checkConsistency(config: model.config, tokenizer: tokenizer, path: directory.path)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError(.io, path: directory.path, "cannot create the model directory: \(error.localizedDescription)")
        }
        let views = model.layout.tensorViews(of: model.parameters)
        let name = compression == nil ? weightsFile : compressedWeightsFile
        _ = try Safetensors.write(views, metadata: ["format": "pt"], to: directory.appendingPathComponent(name),
                                  compression: compression)
        let stale = directory.appendingPathComponent(compression == nil ? compressedWeightsFile : weightsFile)
        try? FileManager.default.removeItem(at: stale)
        do {
            try tokenizer.writeFiles(to: directory)
        } catch {
            throw CheckpointError(.io, path: directory.path, "cannot write the tokenizer files: \(error)")
        }
        try writeDescription(ModelDescription(config: model.config, tokenizer: tokenizer.identifier, metadata: metadata),
                             to: directory)
    }

    /// Writes `description` as `model.json` in `directory` (pretty-printed, sorted keys, atomically).
    static func writeDescription(_ description: ModelDescription, to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let url = directory.appendingPathComponent(descriptionFile)
        do {
            try encoder.encode(description).write(to: url, options: .atomic)
        } catch {
            throw CheckpointError(.io, path: url.path, "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads and checks the `model.json` of `directory` and builds the tokenizer it names.
    public static func readDescription(from directory: URL) throws -> (description: ModelDescription, tokenizer: any Tokenizer) {
        let url = directory.appendingPathComponent(descriptionFile)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CheckpointError(.notFound, path: url.path, "no model description (is \(directory.path) a model directory?)")
        }
        let description: ModelDescription
        do {
            description = try JSONDecoder().decode(ModelDescription.self, from: data)
        } catch {
            throw CheckpointError(.invalidContent, path: url.path, "not a model description: \(error)")
        }
        guard description.format == format, description.version == version else {
            throw CheckpointError(.invalidContent, path: url.path,
                                  "format \(description.format) version \(description.version); expected \(format) version \(version)")
        }
        do {
            try description.config.validate()
        } catch {
            throw CheckpointError(.invalidContent, path: url.path, "\(error)")
        }
        let tokenizer: any Tokenizer
        do {
            tokenizer = try TokenizerRegistry.tokenizer(identifier: description.tokenizer, directory: directory,
                                                        config: description.config)
        } catch {
            throw CheckpointError(.invalidContent, path: url.path, "\(error)")
        }
        try checkConsistency(config: description.config, tokenizer: tokenizer, path: url.path)
        return (description, tokenizer)
    }

    /// Reads the model in `directory`: its description, its tokenizer and its weights (every tensor
    /// of the layout must be present with its shape; F16 and BF16 files are widened to F32).
    public static func load(from directory: URL) throws -> (model: Model, tokenizer: any Tokenizer, description: ModelDescription) {
        let (description, tokenizer) = try readDescription(from: directory)

        let layout = ParameterLayout(config: description.config)
        let parameters = FlatBuffer(count: layout.totalCount)
        try readWeights(in: directory, into: layout.tensorDestinations(in: parameters))
        return (Model(config: description.config, parameters: parameters), tokenizer, description)
    }

    /// Reads the model in `directory` with its weights kept as bfloat16 (F32 files are rounded to
    /// nearest even while reading, BF16 files copied): half the memory, for inference only.
    public static func loadBF16(from directory: URL) throws -> (model: BF16Model, tokenizer: any Tokenizer, description: ModelDescription) {
        let (description, tokenizer) = try readDescription(from: directory)
        let model = BF16Model(config: description.config)
        let destinations = model.layout.entries.map { entry in
            TensorDestination(name: entry.name, shape: entry.shape, dtype: .bf16,
                              bytes: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(model.storage)[
                                  (entry.offset * 2)..<((entry.offset + entry.count) * 2)]))
        }
        try readWeights(in: directory, into: destinations)
        return (model, tokenizer, description)
    }

    /// Fills `destinations` from the weights file of `directory`, compressed or plain.
    private static func readWeights(in directory: URL, into destinations: [TensorDestination]) throws {
        let compressed = directory.appendingPathComponent(compressedWeightsFile)
        if FileManager.default.fileExists(atPath: compressed.path) {
            _ = try Safetensors.read(compressed, compressed: true, into: destinations)
        } else {
            _ = try Safetensors.read(directory.appendingPathComponent(weightsFile), compressed: false, into: destinations)
        }
    }

    /// Throws unless the model's special ids and vocabulary are the tokenizer's.
    static func checkConsistency(config: ModelConfig, tokenizer: any Tokenizer, path: String) throws {
        let pairs: [(String, Int, Int)] = [
            ("vocab_size", config.vocabSize, tokenizer.vocabSize),
            ("mask_token_id", Int(config.maskTokenID), Int(tokenizer.maskTokenID)),
            ("eos_token_id", Int(config.eosTokenID), Int(tokenizer.eosTokenID)),
            ("pad_token_id", Int(config.padTokenID), Int(tokenizer.padTokenID)),
        ]
        for (name, model, expected) in pairs where model != expected {
            throw CheckpointError(.invalidContent, path: path,
                                  "model \(name) = \(model) but tokenizer \(tokenizer.identifier) has \(expected)")
        }
    }
}
