import ArgumentParser
import Base
import DLLM
import Foundation

extension ModelCommand {
    /// `bgpo model logits`: the logits of one sequence, for parity checks against other implementations.
    struct Logits: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the logits of one token sequence as JSON: {\"shape\": [T, V], \"logits\": [...]}.",
            discussion: "The sequence is one batch row without padding; logits are row-major, position by position."
        )

        @Option(help: "Model directory (model.json and the weights).")
        var model: String

        @Option(help: "Comma-separated token ids, e.g. 1,2,3.")
        var ids: String

        @Option(help: "Write the JSON to this file instead of standard output.")
        var out: String?

        @OptionGroup var threads: ThreadOptions
        @OptionGroup var weights: InferenceWeightsOptions

        func run() throws {
            try threads.apply()
            let (runner, _, _) = try weights.load(model)
            let c = runner.config
            var tokens: [Int32] = []
            for field in ids.split(separator: ",", omittingEmptySubsequences: false) {
                guard let id = Int32(field.trimmingCharacters(in: .whitespaces)), id >= 0, Int(id) < c.vocabSize else {
                    throw ValidationError("--ids: \"\(field)\" is not a token id in 0..<\(c.vocabSize)")
                }
                tokens.append(id)
            }
            guard tokens.count <= c.maxSeq else {
                throw ValidationError("--ids: \(tokens.count) tokens exceed the model's max_sequence_length \(c.maxSeq)")
            }
            let logits = runner.logits(tokens: tokens, keyMask: nil, batch: 1, seq: tokens.count)
            let values = UnsafeBufferPointer(start: logits, count: tokens.count * c.vocabSize)
            let json = "{\"shape\": [\(tokens.count), \(c.vocabSize)], \"logits\": ["
                + values.map { "\($0)" }.joined(separator: ", ") + "]}\n"
            if let out {
                try Data(json.utf8).write(to: URL(fileURLWithPath: out))
            } else {
                try StandardStream.output.write(json)
            }
        }
    }
}
