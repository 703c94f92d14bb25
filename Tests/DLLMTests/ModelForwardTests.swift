import Base
import DLLM
import TestSupport
import Testing

@Test func forwardMatchesDoubleReferenceWithPadding() throws {
    let model = try randomTinyModel(seed: 1)
    let seq = 12
    let (tokens, mask) = paddedBatch(config: model.config, seq: seq, padding: 3, seed: 2)
    let workspace = Workspace(config: model.config, batch: 2, seq: seq)
    modelForward(model, tokens: tokens, keyMask: mask, workspace: workspace)
    let logits = (0..<(2 * seq * model.config.vocabSize)).map { Double(workspace.logits[$0]) }
    let reference = ReferenceModel(config: model.config).logits(
        parameters: model.parameters.array.map(Double.init), tokens: tokens, mask: mask, batch: 2, seq: seq)
    let error = relativeError(logits, reference)
    #expect(error < 1e-4, "relative error \(error)")
}

@Test func initialisationIsDeterministic() throws {
    let config = try ModelConfig.preset("tiny")
    let a = Model(config: config, seed: 7), b = Model(config: config, seed: 7), c = Model(config: config, seed: 8)
    #expect(a.parameters.array == b.parameters.array)
    #expect(a.parameters.array != c.parameters.array)
    let norm = try #require(a.layout["model.transformer.blocks.0.attn_norm.weight"])
    #expect((0..<norm.count).allSatisfy { a.parameters.pointer[norm.offset + $0] == 1 })
    let wq = try #require(a.layout["model.transformer.blocks.0.q_proj.weight"])
    let values = (0..<wq.count).map { Double(a.parameters.pointer[wq.offset + $0]) }
    let std = (values.reduce(0) { $0 + $1 * $1 } / Double(values.count)).squareRoot()
    #expect(abs(std - 0.02) < 0.003)
}

@Test func workspacesAreIndependent() throws {
    let model = try randomTinyModel(seed: 3)
    let seq = 8, n = 2 * seq, v = model.config.vocabSize
    let first = paddedBatch(config: model.config, seq: seq, padding: 0, seed: 4)
    let second = paddedBatch(config: model.config, seq: seq, padding: 2, seed: 5)
    let a = Workspace(config: model.config, batch: 2, seq: seq)
    let b = Workspace(config: model.config, batch: 2, seq: seq)
    modelForward(model, tokens: first.tokens, keyMask: nil, workspace: a)
    let logits = Array(UnsafeBufferPointer(start: a.logits, count: n * v))
    modelForward(model, tokens: second.tokens, keyMask: second.mask, workspace: b)
    #expect(Array(UnsafeBufferPointer(start: a.logits, count: n * v)) == logits)

    // Backward through `a` after `b` ran gives the same gradient as a fresh forward.
    a.zeroLogitGradients()
    for i in 0..<(n * v) { a.dLogits[i] = Float(i % 7) - 3 }
    let g1 = FlatBuffer(count: model.layout.totalCount)
    modelBackward(model, workspace: a, gradients: g1)
    let c = Workspace(config: model.config, batch: 2, seq: seq)
    modelForward(model, tokens: first.tokens, keyMask: nil, workspace: c)
    c.dLogits.update(from: a.dLogits, count: n * v)
    let g2 = FlatBuffer(count: model.layout.totalCount)
    modelBackward(model, workspace: c, gradients: g2)
    #expect(g1.array == g2.array)
}

@Test(arguments: [3..<7, 0..<1, 11..<12])
func forwardOfSomePositionsMatchesTheFullForward(positions: Range<Int>) throws {
    let model = try randomTinyModel(seed: 21)
    let seq = 12, v = model.config.vocabSize
    let (tokens, mask) = paddedBatch(config: model.config, seq: seq, padding: 3, seed: 22)
    let full = Workspace(config: model.config, batch: 2, seq: seq)
    modelForward(model, tokens: tokens, keyMask: mask, workspace: full)
    let part = Workspace(config: model.config, batch: 2, seq: seq)
    modelForward(model, tokens: tokens, keyMask: mask, workspace: part, positions: positions)
    var expected: [Double] = [], actual: [Double] = []
    for b in 0..<2 {
        for i in positions {
            for j in 0..<v {
                expected.append(Double(full.logits[(b * seq + i) * v + j]))
                actual.append(Double(part.logits[(b * seq + i) * v + j]))
            }
        }
    }
    let error = relativeError(actual, expected)
    #expect(error < 1e-6, "positions \(positions): relative error \(error)")
}
