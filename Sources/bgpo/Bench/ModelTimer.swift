import Base
import DLLM
import Foundation
import Kernels
import RunConfig
import Training

/// The passes `bgpo bench model` and `bgpo bench compare` time: one model, one workspace and the
/// loss `mean_i log p(target_i)` over every position of a fixed batch. The forward is the pass
/// rollouts run (F32), the forward+backward the trainer's: on an AVX-512 CPU both over weights
/// packed once, as at each rollout phase and each optimizer update.
///
/// Token i of the flattened batch is `(7 i + 3) mod V` and its target `(5 i + 1) mod V`
/// (env/reference/bench_torch.py feeds PyTorch the same).
final class ModelTimer {
    /// The model timed.
    let model: Model
    /// The model as rollouts run it in F32 (``Training/ComputeType/forwardModel(_:key:)``): packed
    /// for F32 products on an AVX-512 CPU, else `model` itself.
    let rolloutModel: any ForwardModel
    /// Seconds spent packing `rolloutModel`'s weights here (0 when it is `model`): in training,
    /// once per rollout phase.
    let packSeconds: Double
    /// The model as the trainer's likelihood passes run it (``DLLM/trainingPasses(of:)``): packed,
    /// with its transposes, on an AVX-512 CPU, else `model` itself.
    let trainingModel: any TrainableModel
    /// Seconds spent packing `trainingModel` (0 when it is `model`): in training, once per update.
    let trainingPackSeconds: Double
    /// The activations of one pass.
    let workspace: Workspace
    private let gradients: FlatBuffer
    private let tokens: [Int32], rows: [Int32], targets: [Int32], dLogProbs: [Float]

    /// Tokens per pass, batch times seq.
    var tokenCount: Int { workspace.batch * workspace.seq }

    /// A timer for `model` on `batch` sequences of `seq` tokens.
    init(model: Model, batch: Int, seq: Int) throws {
        let vocab = model.config.vocabSize, n = batch * seq
        self.model = model
        let start = ContinuousClock.now
        rolloutModel = try ComputeType.f32.forwardModel(model, key: "rollout.compute_dtype")
        packSeconds = rolloutModel === model ? 0 : (ContinuousClock.now - start).seconds
        let trainingStart = ContinuousClock.now
        trainingModel = trainingPasses(of: model)
        trainingPackSeconds = trainingModel === model ? 0 : (ContinuousClock.now - trainingStart).seconds
        workspace = Workspace(config: model.config, batch: batch, seq: seq)
        gradients = FlatBuffer(count: model.layout.totalCount)
        tokens = (0..<n).map { Int32(($0 * 7 + 3) % vocab) }
        rows = (0..<n).map { Int32($0) }
        targets = (0..<n).map { Int32(($0 * 5 + 1) % vocab) }
        dLogProbs = [Float](repeating: 1 / Float(n), count: n)
    }

    /// What the passes multiply with, for the reports: "forward: F32 products over weights packed
    /// once (3.1 ms, once per rollout phase); forward+backward: ..." or "... OpenBLAS products", and
    /// which ``Kernels/KernelPath`` attention and SwiGLU run.
    var products: String {
        let forward = packSeconds > 0
            ? String(format: "F32 products over weights packed once (%.1f ms, once per rollout phase)", packSeconds * 1000)
            : "OpenBLAS products"
        let training = trainingPackSeconds > 0
            ? String(format: "forward and input-gradient products over weights and transposes packed once (%.1f ms, "
                     + "once per optimizer update), weight gradients through OpenBLAS", trainingPackSeconds * 1000)
            : "OpenBLAS products"
        let kernels = KernelPath.best == .avx512
            ? "attention's forward and SwiGLU through bgpo's AVX-512 kernels" : "attention and SwiGLU in portable code"
        return "forward (the rollouts' pass): \(forward); forward+backward (the trainer's): \(training); \(kernels)"
    }

    /// One forward pass, as rollouts run it.
    func forward() {
        rolloutModel.forward(tokens: tokens, keyMask: nil, workspace: workspace)
    }

    /// One training forward pass (keeping what the backward needs), the loss's logit gradient and
    /// the backward pass (gradients accumulate), as the trainer's likelihood passes run them.
    func forwardBackward() {
        trainingModel.forward(tokens: tokens, keyMask: nil, workspace: workspace)
        workspace.zeroLogitGradients()
        tokenLogProbBackward(logits: workspace.logits, vocab: model.config.vocabSize, rows: rows, targets: targets,
                             count: tokenCount, dLogProbs: dLogProbs, dLogits: workspace.dLogits)
        trainingModel.backward(workspace: workspace, gradients: gradients)
    }

    /// The median wall time and the median process CPU time of `runs` calls of `body`, in seconds.
    ///
    /// On a shared machine the CPU time shows what the work costs when other processes take turns
    /// on the cores; with one thread it is the time the pass would take on an idle core.
    static func medianSeconds(_ runs: Int, _ body: () -> Void) -> (wall: Double, cpu: Double) {
        var wall: [Double] = [], cpu: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now, cpuStart = processCPUSeconds()
            body()
            let elapsed = ContinuousClock.now - start
            cpu.append(processCPUSeconds() - cpuStart)
            wall.append(elapsed.seconds)
        }
        return (median(wall), median(cpu))
    }

    /// The median of `values` (the upper one of an even count); `values` is not empty.
    static func median(_ values: [Double]) -> Double {
        values.sorted()[values.count / 2]
    }

    /// CPU time used by all threads of this process so far, in seconds.
    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
