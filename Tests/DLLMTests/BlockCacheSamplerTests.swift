import Base
import DLLM
import TestSupport
import Testing

/// A ``ModelRunner`` that records, per forward, whether it was a cached pass and its batch.
private final class RecordingRunner: DenoisingModel {
    let runner: ModelRunner
    private(set) var passes: [(cached: Bool, batch: Int)] = []

    init(_ model: any ForwardModel) { runner = ModelRunner(model: model) }

    var vocabSize: Int { runner.vocabSize }
    var maxSequence: Int { runner.maxSequence }

    func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int) -> UnsafePointer<Float> {
        passes.append((false, batch))
        return runner.logits(tokens: tokens, keyMask: keyMask, batch: batch, seq: seq)
    }

    func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int,
                positions: Range<Int>) -> UnsafePointer<Float> {
        passes.append((false, batch))
        return runner.logits(tokens: tokens, keyMask: keyMask, batch: batch, seq: seq, positions: positions)
    }

    func cachedLogits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int,
                      positions: Range<Int>) -> UnsafePointer<Float> {
        passes.append((true, batch))
        return runner.cachedLogits(tokens: tokens, keyMask: keyMask, batch: batch, seq: seq, positions: positions)
    }
}

/// The sampler with block-wise caching (``SamplingOptions/blockCache``).
@Suite struct BlockCacheSamplerTests {
    let prompts: [[Int32]] = [[2, 5, 6, 7], [2, 8], [2, 9, 9, 9, 4, 5]]
    let keys: [[UInt64]] = [[0, 0, 0], [0, 1, 0], [0, 2, 0]]

    /// A random tiny model with `layers` blocks.
    static func model(layers: Int) throws -> Model {
        var config = try ModelConfig.preset("tiny")
        config.nLayers = layers
        config.maxSeq = 32
        return randomModel(config: config, seed: 41)
    }

    static func decode(_ options: SamplingOptions, _ model: any DenoisingModel, _ prompts: [[Int32]],
                       _ keys: [[UInt64]]) throws -> [[Int32]] {
        try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 5)
            .generate(model: model, prompts: prompts, keys: keys)
    }

    /// Each block's first step is a full pass, its later steps cached passes over the same batch:
    /// every sequence, even those whose block is decoded (parallel decoding), with guidance rows.
    @Test(arguments: [(nil, 0.0), (0.3, 0.0), (nil, 1.0)] as [(Double?, Double)])
    func eachBlockStartsWithAFullPassAndKeepsItsBatch(threshold: Double?, guidance: Double) throws {
        let options = SamplingOptions(generationLength: 12, blockLength: 6, steps: 12, temperature: 0.9, cfgScale: guidance,
                                      confidenceThreshold: threshold, blockCache: true)
        let model = RecordingRunner(try Self.model(layers: 2))
        var firstSteps: [Int] = []
        var pass = 0
        _ = try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 5)
            .generate(model: model, prompts: prompts, keys: keys) { step in
                if step.step == 0 { firstSteps.append(pass) }
                pass += 1
            }
        let rows = guidance > 0 ? 6 : 3
        #expect(model.passes.count == pass && firstSteps.count == 2)
        for (i, recorded) in model.passes.enumerated() {
            #expect(recorded.cached == !firstSteps.contains(i), "pass \(i) of \(model.passes.count)")
            #expect(recorded.batch == rows, "pass \(i): batch \(recorded.batch)")
        }
    }

    /// With one block the other positions' keys and values depend on their own tokens only, so the
    /// cache is exact and the decode is the uncached one, token for token (greedy, sampled, parallel
    /// decoding, guidance; a padded batch).
    @Test(arguments: [(0.0, nil, 0.0), (0.9, nil, 0.0), (0.9, 0.3, 0.0), (0.0, nil, 1.0)] as [(Double, Double?, Double)])
    func withOneLayerTheCachedDecodeIsTheUncachedOne(temperature: Double, threshold: Double?, guidance: Double) throws {
        let model = try Self.model(layers: 1)
        var options = SamplingOptions(generationLength: 12, blockLength: 6, steps: 12, temperature: temperature,
                                      cfgScale: guidance, confidenceThreshold: threshold)
        let uncached = try Self.decode(options, ModelRunner(model: model), prompts, keys)
        options.blockCache = true
        let recording = RecordingRunner(model)
        #expect(try Self.decode(options, recording, prompts, keys) == uncached)
        #expect(recording.passes.contains { $0.cached })
    }

    /// With two blocks the cache is an approximation: the cached decode differs from the uncached one
    /// for some prompt here, and is deterministic.
    @Test func withTwoLayersTheCacheIsAnApproximation() throws {
        let model = try Self.model(layers: 2)
        var options = SamplingOptions(generationLength: 12, blockLength: 12, steps: 12, temperature: 0.9)
        let manyPrompts: [[Int32]] = (0..<16).map { (i: Int) -> [Int32] in
            [2] + (0..<(2 + i % 5)).map { (j: Int) -> Int32 in Int32(2 + (j * 7 + i) % 12) }
        }
        let manyKeys = (0..<16).map { [UInt64(0), UInt64($0), 0] }
        let uncached = try Self.decode(options, ModelRunner(model: model), manyPrompts, manyKeys)
        options.blockCache = true
        let cached = try Self.decode(options, ModelRunner(model: model), manyPrompts, manyKeys)
        #expect(cached != uncached)
        #expect(try Self.decode(options, ModelRunner(model: model), manyPrompts, manyKeys) == cached)
    }
}
