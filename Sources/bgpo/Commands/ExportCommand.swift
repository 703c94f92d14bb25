import ArgumentParser
import Base
import Foundation
import ModelFiles

/// `bgpo export`: write bgpo model directories in other formats.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export models to other formats.",
        subcommands: [HuggingFace.self, PEFT.self]
    )

    /// `bgpo export hf MODEL --out DIR`.
    struct HuggingFace: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hf",
            abstract: "Export a bgpo model directory as a LLaDA-style Hugging Face model directory.",
            discussion: """
                Writes config.json (LLaDA's field names), the weights as model.safetensors or as shards with \
                model.safetensors.index.json, and the tokenizer files of a BPE model. DIR must not exist and \
                appears only when complete.
                """
        )

        @Argument(help: "The bgpo model directory.")
        var model: String

        @Option(help: "The Hugging Face model directory to create.")
        var out: String

        @Option(help: ArgumentHelp("Weights to export instead of the model's own, e.g. a training checkpoint's "
                                   + "model.safetensors.zst; MODEL then gives the configuration and the tokenizer.",
                                   valueName: "file"))
        var weights: String?

        @OptionGroup var writing: HuggingFaceWriteOptions

        func run() throws {
            try HuggingFaceExport.export(from: URL(fileURLWithPath: model), weights: weights.map(URL.init(fileURLWithPath:)),
                                         to: URL(fileURLWithPath: out), dtype: writing.dtype?.tensorDType,
                                         maxShardBytes: writing.maxShardBytes())
            print("exported \(model) -> \(out)")
        }
    }
}
