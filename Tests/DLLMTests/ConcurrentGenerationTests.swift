import Base
import DLLM
import TestSupport
import Testing

/// ``generateConcurrently(model:samplers:requests:)``: batches decoded side by side are the ones
/// decoded one after another; only models whose passes share no scratch may run so.
@Suite struct ConcurrentGenerationTests {
    static let options = SamplingOptions(generationLength: 8, blockLength: 4, steps: 8, temperature: 1.0)

    /// Seven batches of two or three prompts of different lengths, each with its own keys.
    static let requests: [GenerationRequest] = (0..<7).map { b in
        let prompts: [[Int32]] = (0..<(2 + b % 2)).map { p in (0..<(2 + (b + p) % 4)).map { Int32(2 + ($0 + b + p) % 7) } }
        return GenerationRequest(prompts: prompts, keys: prompts.indices.map { [UInt64(b), UInt64($0)] })
    }

    static func samplers(_ count: Int) throws -> [DiffusionSampler] {
        try (0..<count).map { _ in try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 5) }
    }

    static func model() throws -> Model {
        var config = try ModelConfig.preset("tiny")
        config.maxSeq = 16
        return randomModel(config: config, seed: 29)
    }

    @Test func batchesSideBySideAreTheBatchesOneAfterAnother() throws {
        let model = try Self.model()
        // Larger weights, sharper logits: sampled tokens depend on them, not on the draws alone.
        for i in model.parameters.buffer.indices { model.parameters.buffer[i] *= 3 }
        let runner = ModelRunner(model: model)
        let sampler = try Self.samplers(1)[0]
        let alone = try Self.requests.map { try sampler.generate(model: runner, prompts: $0.prompts, keys: $0.keys) }
        #expect(Set(alone.flatMap { $0 }).count > 10, "the responses differ from one another")
        // (The BLAS thread count is process-wide: other tests running at the same time may change it,
        // which changes no result, so it is not checked here.)
        for threads in [1, 2, 3] {
            let together = try generateConcurrently(model: model, samplers: try Self.samplers(threads), requests: Self.requests)
            #expect(together == alone, "\(threads) thread(s)")
        }
    }

    @Test func anErrorOfOneBatchIsThrownAfterTheOthers() throws {
        var requests = Self.requests
        requests[3].keys.removeLast()
        #expect(throws: SamplingError.keyCountMismatch(prompts: requests[3].prompts.count, keys: requests[3].keys.count)) {
            _ = try generateConcurrently(model: try Self.model(), samplers: try Self.samplers(3), requests: requests)
        }
    }

    @Test func onlyModelsWithoutASharedScratchRunConcurrently() throws {
        let model = try Self.model()
        let bf16 = BF16Model(model: model)
        let lora = LoRAConfig(rank: 2, alpha: 4, targetModules: [.q])
        #expect(model.allowsConcurrentPasses && !bf16.allowsConcurrentPasses)
        let overF32 = try LoRAModel(base: .f32(model), lora: lora, seed: 1)
        let overBF16 = try LoRAModel(base: .bf16(bf16), lora: lora, seed: 1)
        #expect(overF32.allowsConcurrentPasses && overF32.baseOnly.allowsConcurrentPasses)
        #expect(!overBF16.allowsConcurrentPasses && !overBF16.baseOnly.allowsConcurrentPasses)
        if BF16ComputeModel.isSupported {
            #expect(BF16ComputeModel(model: model).allowsConcurrentPasses)
            #expect(!BF16ComputeModel(model: bf16).allowsConcurrentPasses)
        }
    }
}
