import Checkpoint
import DLLM
import Foundation

/// `bgpo import hf`: a LLaDA-style Hugging Face model directory to a bgpo model directory.
public enum HuggingFaceImport {
    /// Reads the Hugging Face model in `directory` and writes it as a bgpo model directory at `output`.
    ///
    /// `config.json` must describe LLaDA's llama-block architecture (anything else is refused naming
    /// the field); the weights (`model.safetensors` or the shards of `model.safetensors.index.json`,
    /// F32, BF16 or F16) must hold exactly the layout's tensors. They are copied one tensor at a
    /// time, so memory stays at one tensor, kept in their stored dtype unless `dtype` says
    /// otherwise. The tokenizer is the directory's `tokenizer.json` (a ``DLLM/BPETokenizer``, copied
    /// with `tokenizer_config.json`), else the built-in one `config.json` names in `bgpo_tokenizer`.
    /// Everything is written beside `output` and renamed into place at the end; `output` must not exist.
    /// Returns the written description.
    @discardableResult
    public static func importModel(from directory: URL, to output: URL, dtype: TensorDType? = nil) throws -> ModelDescription {
        let configURL = directory.appendingPathComponent(LLaDAConfigFile.fileName)
        let file = try LLaDAConfigFile.read(configURL)
        let config = try file.modelConfig(path: configURL.path)
        let tokenizer = try tokenizer(in: directory, file: file, config: config, configPath: configURL.path)
        let layout = ParameterLayout(config: config)
        let weights = try HuggingFaceWeights(directory: directory, layout: layout, weightTying: file.weightTying)
        let description = ModelDescription(config: config, tokenizer: tokenizer.identifier,
                                           metadata: ["imported_from": "huggingface"])
        try StagingDirectory.produce(output) { staging in
            let descriptors = weights.sources.map { entry, source in
                TensorDescriptor(name: entry.name, shape: entry.shape, dtype: dtype ?? source.entry.descriptor.dtype)
            }
            let copier = TensorCopier()
            _ = try Safetensors.write(descriptors, metadata: ["format": "pt"],
                                      to: staging.appendingPathComponent(ModelStore.weightsFile)) { i in
                let (entry, source) = weights.sources[i]
                do {
                    return try copier.view(of: source.entry, in: source.file, as: entry.name, dtype: dtype)
                } catch let error as CheckpointError where error.kind != .io {
                    throw HuggingFaceError(file: source.file.url.path, field: source.entry.descriptor.name, error.problem)
                }
            }
            try tokenizer.writeFiles(to: staging)
            try ModelStore.writeDescription(description, to: staging)
        }
        return description
    }

    /// The tokenizer of a Hugging Face directory, checked against the model's vocabulary and special ids.
    private static func tokenizer(in directory: URL, file: LLaDAConfigFile, config: ModelConfig,
                                  configPath: String) throws -> any Tokenizer {
        let tokenizer: any Tokenizer
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent(BPETokenizer.tokenizerFile).path) {
            tokenizer = try BPETokenizer(directory: directory, config: config)
        } else if let name = file.bgpoTokenizer {
            tokenizer = try TokenizerRegistry.tokenizer(identifier: name)
        } else {
            throw HuggingFaceError(file: directory.path, field: BPETokenizer.tokenizerFile,
                                   "missing, and config.json names no built-in tokenizer in bgpo_tokenizer")
        }
        do {
            try ModelStore.checkConsistency(config: config, tokenizer: tokenizer, path: configPath)
        } catch let error as CheckpointError {
            throw HuggingFaceError(file: configPath, error.problem)
        }
        return tokenizer
    }
}
