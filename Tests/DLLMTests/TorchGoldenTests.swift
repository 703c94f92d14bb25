import Base
import DLLM
import Foundation
import Kernels
import Testing

/// The logits and parameter gradients of the PyTorch reference (env/reference/llada_torch.py), stored by
/// env/reference/golden_gradients.py in Fixtures/torch-golden.json, against modelForward/modelBackward.
@Test func forwardAndBackwardMatchPyTorch() throws {
    let url = try #require(Bundle.module.url(forResource: "torch-golden", withExtension: "json", subdirectory: "Fixtures"))
    let golden = try JSONDecoder().decode(TorchGolden.self, from: Data(contentsOf: url))
    let config = golden.config
    let model = formulaModel(config)
    let workspace = Workspace(config: config, batch: golden.batch, seq: golden.seq)
    modelForward(model, tokens: golden.tokens, keyMask: golden.keyMask, workspace: workspace)
    let n = golden.batch * golden.seq * config.vocabSize
    let logits = (0..<n).map { Double(workspace.logits[$0]) }
    let logitError = relativeError(logits, try golden.floats(golden.logits))
    #expect(logitError < 1e-5, "logits: relative error \(logitError)")

    workspace.zeroLogitGradients()
    tokenLogProbBackward(logits: workspace.logits, vocab: config.vocabSize, rows: golden.rows, targets: golden.targets,
                         count: golden.rows.count, dLogProbs: golden.weights, dLogits: workspace.dLogits)
    let gradients = FlatBuffer(count: model.layout.totalCount)
    modelBackward(model, workspace: workspace, gradients: gradients)
    #expect(Set(golden.gradients.keys) == Set(model.layout.entries.map(\.name)))
    for entry in model.layout.entries {
        let expected = try golden.floats(try #require(golden.gradients[entry.name]))
        let actual = (0..<entry.count).map { Double(gradients.pointer[entry.offset + $0]) }
        let error = relativeError(actual, expected)
        #expect(error < 2e-5, "\(entry.name): relative error \(error)")
    }
}

/// The fixture: configuration, inputs, the loss's rows, targets and weights, and PyTorch's results
/// as base64 little-endian float32.
private struct TorchGolden: Decodable {
    var config: ModelConfig
    var batch: Int
    var seq: Int
    var tokens: [Int32]
    var keyMask: [UInt8]
    var rows: [Int32]
    var targets: [Int32]
    var weights: [Float]
    var logits: String
    var gradients: [String: String]

    enum CodingKeys: String, CodingKey {
        case config, batch, seq, tokens, rows, targets, weights, logits, gradients
        case keyMask = "key_mask"
    }

    /// The float32 values of a base64 field, widened to Double.
    func floats(_ base64: String) throws -> [Double] {
        let data = try #require(Data(base64Encoded: base64))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))) }
        }
    }
}

/// The fixture's weights (golden_gradients.py): tensor t in sorted name order, element j:
/// matrices `scale * sin(0.37 j + 1.1 t + 0.5)` (scale 1 for the embedding, else 0.3), norms
/// `1 + 0.2 cos(0.7 j + t)`, evaluated in Double and rounded to Float.
private func formulaModel(_ config: ModelConfig) -> Model {
    let layout = ParameterLayout(config: config)
    let names = layout.entries.map(\.name).sorted()
    let parameters = FlatBuffer(count: layout.totalCount)
    for entry in layout.entries {
        let t = Double(names.firstIndex(of: entry.name)!)
        for j in 0..<entry.count {
            let x = Double(j)
            let value = entry.shape.count == 1 ? 1 + 0.2 * cos(0.7 * x + t)
                : (entry.name.contains("wte") ? 1 : 0.3) * sin(0.37 * x + 1.1 * t + 0.5)
            parameters.pointer[entry.offset + j] = Float(value)
        }
    }
    return Model(config: config, parameters: parameters)
}
