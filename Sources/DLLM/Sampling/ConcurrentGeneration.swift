import Dispatch
import Foundation
import Kernels

/// One batch to decode: its prompts and one key per prompt (``DiffusionSampler/generate(model:prompts:keys:observer:)``).
public struct GenerationRequest: Sendable {
    /// The prompts of the batch, decoded together.
    public var prompts: [[Int32]]
    /// One random key per prompt.
    public var keys: [[UInt64]]

    /// A batch of `prompts` with `keys`.
    public init(prompts: [[Int32]], keys: [[UInt64]]) {
        self.prompts = prompts
        self.keys = keys
    }
}

/// Decodes independent batches with `sampler`'s settings over `model`, several at a time: by
/// default one thread per BLAS thread (at most one per batch) when `model` allows concurrent
/// passes, else one. Each thread has its own sampler (a copy of `sampler`'s settings) and
/// ``ModelRunner`` (its own workspace) over the shared model, and takes the next batch until none
/// is left.
///
/// The matrix products run on one thread inside each (the BLAS thread count is set to 1 for the
/// call and restored after), so every batch is decoded exactly as it would be alone: its random
/// draws are keyed by its keys, and a product's sums do not depend on the thread count. Small
/// products, such as a rollout's (a few hundred rows), gain little from threads inside one product;
/// whole batches side by side keep every thread busy. Results are in the order of `requests`.
///
/// - Parameter threads: the threads to use instead of the default (tests).
/// - Precondition: `model.allowsConcurrentPasses` when more than one thread is asked for.
/// - Throws: the first error of any batch, after every thread has stopped.
public func generateConcurrently(model: any ForwardModel, sampler: DiffusionSampler, requests: [GenerationRequest],
                                 threads: Int? = nil) throws -> [[[Int32]]] {
    let count = min(threads ?? (model.allowsConcurrentPasses ? BLAS.threads : 1), requests.count)
    guard count > 1 else {
        let runner = ModelRunner(model: model)
        return try requests.map { try sampler.generate(model: runner, prompts: $0.prompts, keys: $0.keys) }
    }
    precondition(model.allowsConcurrentPasses, "generateConcurrently: passes over this model may not run at the same time")
    let samplers = try [sampler] + (1..<count).map { _ in try sampler.copy() }

    let results = UnsafeMutableBufferPointer<Result<[[Int32]], any Error>?>.allocate(capacity: requests.count)
    results.initialize(repeating: nil)
    defer { results.deinitialize().deallocate() }
    let next = NSLock()
    nonisolated(unsafe) var nextIndex = 0
    nonisolated(unsafe) let shared = (model: model, samplers: samplers, results: results)
    BLAS.sideBySide(threads: count) { thread in
        let runner = ModelRunner(model: shared.model)
        let sampler = shared.samplers[thread]
        while true {
            let index: Int = next.withLock {
                defer { nextIndex += 1 }
                return nextIndex
            }
            guard index < requests.count else { return }
            let request = requests[index]
            shared.results[index] = Result { try sampler.generate(model: runner, prompts: request.prompts, keys: request.keys) }
        }
    }
    return try results.map { try $0!.get() }
}
