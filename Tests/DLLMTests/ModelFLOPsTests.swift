import DLLM
import Testing

/// The anchors of the benchmark brief, given to three or four digits: small 6.88 M / 20.6 M and large
/// 54.9 M / 164.6 M FLOPs per token.
@Test(arguments: [("small", 6.88e6, 20.6e6), ("large", 54.9e6, 164.6e6)])
func flopsPerTokenMatchAnchors(name: String, forward: Double, training: Double) throws {
    let config = try ModelConfig.preset(name)
    #expect(abs(config.forwardFLOPsPerToken(seq: config.maxSeq) / forward - 1) < 0.005)
    #expect(abs(config.trainingFLOPsPerToken(seq: config.maxSeq) / training - 1) < 0.005)
}

@Test func matmulParametersExcludeOnlyTheEmbedding() throws {
    let config = try ModelConfig.preset("llada-8b")
    let layout = ParameterLayout(config: config)
    let norms = layout.entries.filter { $0.shape.count == 1 }.reduce(0) { $0 + $1.count }
    let embedding = layout["model.transformer.wte.weight"]!.count
    #expect(config.matmulParameterCount == layout.totalCount - norms - embedding)
}
