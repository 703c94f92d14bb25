import ArgumentParser
import DLLM
import Foundation

/// `bgpo model`: inspect model configurations.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect model configurations and compute logits.",
        subcommands: [Describe.self, Logits.self]
    )

    /// `bgpo model describe`: a preset's configuration, parameter count and tensor table.
    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a preset's configuration, parameter count and tensor table (nothing is allocated)."
        )

        @Option(help: "Model preset: \(ModelConfig.presetNames.joined(separator: ", ")).")
        var preset: String

        func run() throws {
            let config = try ModelConfig.preset(preset)
            try config.validate()
            let layout = ParameterLayout(config: config)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print("preset: \(preset)")
            print("configuration: \(String(decoding: try encoder.encode(config), as: UTF8.self))")
            print("head_dim: \(config.headDim)")
            let gib = Double(layout.totalCount * MemoryLayout<Float>.stride) / Double(1 << 30)
            print("parameters: \(layout.totalCount) (\(String(format: "%.2f", gib)) GiB in fp32)")
            print("matmul parameters (no embedding): \(config.matmulParameterCount)")
            print("tensors: \(layout.entries.count)")
            let nameWidth = layout.entries.map(\.name.count).max() ?? 0
            let shapes = layout.entries.map { "[" + $0.shape.map(String.init).joined(separator: ", ") + "]" }
            let shapeWidth = shapes.map(\.count).max() ?? 0
            print(pad("name", nameWidth) + "  " + pad("shape", shapeWidth) + "  count")
            for (entry, shape) in zip(layout.entries, shapes) {
                print(pad(entry.name, nameWidth) + "  " + pad(shape, shapeWidth) + "  \(entry.count)")
            }
        }

        private func pad(_ text: String, _ width: Int) -> String {
            text + String(repeating: " ", count: max(0, width - text.count))
        }
    }
}
