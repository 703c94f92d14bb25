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

        @Option(help: "Write the weights as f32, bf16 or f16 (default: as stored).")
        var dtype: WeightDType?

        @Option(help: "Largest shard, in bytes or with a unit: 5GB, 500MB, 2GiB, ...")
        var maxShardSize = "5GB"

        func validate() throws {
            _ = try byteCount(maxShardSize)
        }

        func run() throws {
            try HuggingFaceExport.export(from: URL(fileURLWithPath: model), weights: weights.map(URL.init(fileURLWithPath:)),
                                         to: URL(fileURLWithPath: out),
                                         dtype: dtype?.tensorDType, maxShardBytes: byteCount(maxShardSize))
            print("exported \(model) -> \(out)")
        }
    }
}

/// The number of bytes `text` gives: an integer with an optional unit B, KB, MB, GB (powers of
/// 1000) or KiB, MiB, GiB (powers of 1024).
func byteCount(_ text: String) throws -> Int {
    let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
                                  ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
    let (number, scale) = units.first { text.hasSuffix($0.0) }.map { (String(text.dropLast($0.0.count)), $0.1) } ?? (text, 1)
    guard let value = Int(number.trimmingCharacters(in: .whitespaces)), value > 0, let bytes = checkedProduct(value, scale) else {
        throw ValidationError("--max-shard-size \(text) is not a positive size such as 5GB, 500MB or 1000000 "
                              + "(at most \(Int.max) bytes)")
    }
    return bytes
}
