import ArgumentParser
import Foundation
import ModelFiles

/// `bgpo import`: bring models from other formats into bgpo model directories.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import models from other formats.",
        subcommands: [HuggingFace.self]
    )

    /// `bgpo import hf DIR --out MODEL`.
    struct HuggingFace: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hf",
            abstract: "Import a LLaDA-style Hugging Face model directory as a bgpo model directory.",
            discussion: """
                DIR holds config.json (LLaDA's field names, block_type llama), model.safetensors or the shards of \
                model.safetensors.index.json (F32, BF16 or F16), and tokenizer.json (byte-level BPE) with \
                tokenizer_config.json. Tensors are copied one at a time (memory: one tensor) and keep their dtype \
                unless --dtype is given. Anything bgpo cannot represent is refused naming the file and the field \
                (exit 65); MODEL must not exist and appears only when complete.
                """
        )

        @Argument(help: "The Hugging Face model directory.")
        var directory: String

        @Option(help: "The bgpo model directory to create.")
        var out: String

        @Option(help: "Store the weights as f32, bf16 or f16 (default: as in the source files).")
        var dtype: WeightDType?

        func run() throws {
            let description = try HuggingFaceImport.importModel(from: URL(fileURLWithPath: directory),
                                                                to: URL(fileURLWithPath: out), dtype: dtype?.tensorDType)
            let c = description.config
            print("imported \(directory) -> \(out): d_model \(c.dModel), \(c.nLayers) layers, \(c.nHeads) heads "
                  + "(\(c.nKVHeads) kv), vocab \(c.vocabSize), tokenizer \(description.tokenizer)")
        }
    }
}
