import ArgumentParser
import Base
import Foundation
import ModelFiles

/// How a Hugging Face model directory's weights are written: `--dtype` and `--max-shard-size`
/// (`bgpo export hf`, `bgpo export peft --merge`).
struct HuggingFaceWriteOptions: ParsableArguments {
    @Option(help: "Write the weights as f32, bf16 or f16 (default: as stored).")
    var dtype: WeightDType?

    @Option(help: "Largest shard, in bytes or with a unit: 5GB, 500MB, 2GiB, ... (default: 5GB)")
    var maxShardSize: String?

    /// Whether either option was given.
    var isSet: Bool { dtype != nil || maxShardSize != nil }

    /// The largest shard in bytes.
    func maxShardBytes() throws -> Int {
        try maxShardSize.map(byteCount) ?? HuggingFaceExport.defaultMaxShardBytes
    }

    func validate() throws {
        _ = try maxShardBytes()
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
