import Base
import DLLM
import Kernels
import TestSupport
import Testing

/// ``generateConcurrently(model:sampler:requests:threads:)``: batches decoded side by side are the ones
/// decoded one after another; only models whose passes share no scratch may run so.
@Suite struct ConcurrentGenerationTests {
    static let options = SamplingOptions(generationLength: 16, blockLength: 8, steps: 16, temperature: 1.0)

    /// Sixteen batches of two or three prompts of different lengths, each with its own keys: enough
    /// passes that threads sharing a buffer would overwrite each other's.
    static let requests: [GenerationRequest] = (0..<16).map { b in
        let prompts: [[Int32]] = (0..<(2 + b % 2)).map { p in (0..<(2 + (b + p) % 4)).map { Int32(2 + ($0 + b + p) % 7) } }
        return GenerationRequest(prompts: prompts, keys: prompts.indices.map { [UInt64(b), UInt64($0)] })
    }

    static func sampler() throws -> DiffusionSampler {
        try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 5)
    }

    static func model() throws -> Model {
        var config = try ModelConfig.preset("tiny")
        config.maxSeq = 24
        return randomModel(config: config, seed: 29)
    }

    /// Over F32 weights, then packed for each precision of products this CPU runs.
    static func models() throws -> [any ForwardModel] {
        let model = try Self.model()
        // Larger weights, sharper logits: sampled tokens depend on them, not on the draws alone.
        for i in model.parameters.buffer.indices { model.parameters.buffer[i] *= 3 }
        return [model] + ProductPrecision.allCases.filter(\.isSupported).map { PackedComputeModel(model: model, precision: $0) }
    }

    @Test(arguments: 0..<(1 + ProductPrecision.allCases.filter(\.isSupported).count))
    func batchesSideBySideAreTheBatchesOneAfterAnother(modelIndex: Int) throws {
        let model = try Self.models()[modelIndex]
        let runner = ModelRunner(model: model)
        let sampler = try Self.sampler()
        let alone = try Self.requests.map { try sampler.generate(model: runner, prompts: $0.prompts, keys: $0.keys) }
        #expect(Set(alone.flatMap { $0 }).count > 10, "the responses differ from one another")
        // (The BLAS thread count is process-wide: other tests running at the same time may change it,
        // which changes no result, so it is not checked here.)
        for threads in [1, 2, 3] {
            let together = try generateConcurrently(model: model, sampler: try Self.sampler(), requests: Self.requests, threads: threads)
            #expect(together == alone, "\(type(of: model)), \(threads) thread(s)")
        }
    }

    @Test func anErrorOfOneBatchIsThrownAfterTheOthers() throws {
        var requests = Self.requests
        requests[3].keys.removeLast()
        #expect(throws: SamplingError.keyCountMismatch(prompts: requests[3].prompts.count, keys: requests[3].keys.count)) {
            _ = try generateConcurrently(model: try Self.model(), sampler: try Self.sampler(), requests: requests, threads: 3)
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
        for precision in ProductPrecision.allCases where precision.isSupported {
            #expect(PackedComputeModel(model: model, precision: precision).allowsConcurrentPasses)
        }
        if ProductPrecision.bf16.isSupported {
            #expect(!PackedComputeModel(bf16: bf16).allowsConcurrentPasses)
        }
    }
}
