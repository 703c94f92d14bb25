import Base
import Dispatch
import DLLM
import Kernels

/// Runs independent forward and backward passes side by side (an objective's likelihood passes, the
/// micro-batches of a supervised step): one lane per thread of the rank (the trainer's `threads`),
/// each with its own workspaces and gradient buffer, single-threaded products inside.
///
/// A pass multiplies a micro-batch's few hundred rows, too few for threads inside one
/// product to pay (and threads that wait for each other collapse on a busy node); whole passes
/// side by side keep every thread busy, as the rollouts do (``DLLM/generateConcurrently(model:sampler:requests:threads:)``).
///
/// Unit `u` runs on lane `u % lanes`, each lane takes its units in increasing order, lane 0 adds its
/// gradients into the caller's buffer and every other lane into its own zeroed buffer, added into
/// the caller's in lane order at the end. So what each lane computes and the order of every sum
/// depend on the unit and lane counts only: a run repeats bit for bit at the same thread count, and
/// across thread counts the gradients differ by float summation order alone. The lane count is
/// given, never read from the BLAS library's global thread count, so that nothing else running in
/// the process changes it. With one lane (or a model whose passes may not run at the same time)
/// the units run in order on the calling thread with the BLAS threads inside the products: the
/// passes of one after another.
///
/// Memory: one set of workspaces per lane, and one gradient buffer per lane beyond the first.
final class PassLanes {
    /// The most lanes that run at once.
    let lanes: Int
    private var pools: [WorkspacePool] = [WorkspacePool()]
    private var gradientBuffers: [FlatBuffer] = []

    /// Up to `lanes` lanes (at least one).
    init(lanes: Int) {
        precondition(lanes >= 1, "PassLanes: at least one lane")
        self.lanes = lanes
    }

    /// Runs `body(unit, pool, gradients)` for every unit in `0..<units` and returns the results in
    /// unit order; `body` runs its passes in `pool`'s workspaces and adds into `gradients` (nil
    /// when `gradients` is nil: forward passes only).
    func run<Result>(units: Int, model: any ForwardModel, gradients: FlatBuffer?,
                     _ body: (_ unit: Int, _ pool: WorkspacePool, _ gradients: FlatBuffer?) -> Result) -> [Result] {
        let count = model.allowsConcurrentPasses ? min(lanes, units) : 1
        guard count > 1 else {
            return (0..<units).map { body($0, pools[0], gradients) }
        }
        while pools.count < count { pools.append(WorkspacePool()) }
        let laneGradients = [gradients] + (1..<count).map { lane in gradients.map { laneBuffer(lane, like: $0) } }
        let results = UnsafeMutableBufferPointer<Result?>.allocate(capacity: units)
        results.initialize(repeating: nil)
        defer { results.deinitialize().deallocate() }
        nonisolated(unsafe) let shared = (pools: pools, gradients: laneGradients, results: results)
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            BLAS.sideBySide(threads: count) { lane in
                for unit in stride(from: lane, to: units, by: count) {
                    shared.results[unit] = body(unit, shared.pools[lane], shared.gradients[lane])
                }
            }
        }
        if let gradients {
            for lane in 1..<count { gradients.add(laneGradients[lane]!) }
        }
        return results.map { $0! }
    }

    /// Lane `lane`'s gradient buffer (lane 1 and up), zeroed, of `gradients`' size; kept between calls.
    private func laneBuffer(_ lane: Int, like gradients: FlatBuffer) -> FlatBuffer {
        if gradientBuffers.first?.count != gradients.count { gradientBuffers = [] }
        while gradientBuffers.count < lane { gradientBuffers.append(FlatBuffer(count: gradients.count)) }
        gradientBuffers[lane - 1].zero()
        return gradientBuffers[lane - 1]
    }

    /// Releases every lane's workspaces and gradient buffers until the next pass.
    func release() {
        pools = [WorkspacePool()]
        gradientBuffers = []
    }
}
