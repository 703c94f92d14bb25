import Base
import DLLM
import Kernels
import RunConfig
import Testing
import Training

/// Which pass rollouts and evaluations decode with (`ComputeType.forwardModel`).
struct RolloutPassTests {
    static let config = ModelConfig(dModel: 24, nLayers: 2, nHeads: 4, nKVHeads: 2, mlpHidden: 37, vocabSize: 70,
                                    maxSeq: 16, maskTokenID: 1, eosTokenID: 0, padTokenID: 0)

    /// F32: a full model is packed for F32 products on an AVX-512 CPU (the faster kernel is not
    /// left unused there), and decoded as it is elsewhere; a bf16-stored model as it is.
    @Test func f32PacksAFullModelWhereTheCPURunsTheKernel() throws {
        let model = Model(config: Self.config, seed: 1)
        let pass = try ComputeType.f32.forwardModel(model, key: "rollout.compute_dtype")
        if CPUInfo.current.instructionSet >= .avx512 {
            let packed = try #require(pass as? PackedComputeModel)
            #expect(packed.precision == .f32)
        } else {
            #expect(pass === model)
        }
        let stored = BF16Model(model: model)
        #expect(try ComputeType.f32.forwardModel(stored, key: "rollout.compute_dtype") === stored)
    }

    /// BF16: packed for bfloat16 products where the CPU has AVX512_BF16, refused with the key named
    /// elsewhere.
    @Test func bf16PacksForBFloat16ProductsOrNamesTheKey() throws {
        let model = Model(config: Self.config, seed: 2)
        if ProductPrecision.bf16.isSupported {
            let packed = try #require(try ComputeType.bf16.forwardModel(model, key: "rollout.compute_dtype") as? PackedComputeModel)
            #expect(packed.precision == .bf16)
        } else {
            #expect(throws: ConfigError.self) { try ComputeType.bf16.forwardModel(model, key: "rollout.compute_dtype") }
        }
    }
}
