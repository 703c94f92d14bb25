import Base
import Cluster
import DLLM
import Foundation

/// One supervised training example: prompt ids (BOS included) and the response ids, EOS-padded to
/// the generation length.
public struct SupervisedExample: Sendable, Equatable {
    /// The prompt, never masked.
    public var prompt: [Int32]
    /// The target response, EOS padding included.
    public var response: [Int32]

    /// Creates an example.
    public init(prompt: [Int32], response: [Int32]) {
        self.prompt = prompt
        self.response = response
    }
}

/// The knobs of supervised training.
public struct SupervisedTrainingOptions: Sendable, Equatable {
    /// Examples per optimiser step.
    public var batchSize: Int
    /// Examples per forward/backward pass (a divisor of nothing in particular: the last
    /// micro-batch of a step may be smaller).
    public var microBatchSize: Int
    /// The learning rate of each update.
    public var schedule: LearningRateSchedule
    /// AdamW's hyper-parameters and the gradient clip.
    public var adamW: AdamWSettings
    /// Seed of the masks (``DLLM/SupervisedMasking``).
    public var seed: UInt64
    /// The rank's threads, over which a step's micro-batches run side by side (``PassLanes``: the
    /// gradient's float summation order depends on it, nothing else).
    public var threads: Int

    /// Creates options.
    public init(batchSize: Int, microBatchSize: Int, schedule: LearningRateSchedule, adamW: AdamWSettings = AdamWSettings(),
                seed: UInt64, threads: Int = 1) {
        precondition(threads >= 1, "SupervisedTrainingOptions: at least one thread")
        self.threads = threads
        self.batchSize = batchSize
        self.microBatchSize = microBatchSize
        self.schedule = schedule
        self.adamW = adamW
        self.seed = seed
    }
}

/// What one supervised optimiser step did.
public struct SupervisedStepReport: Sendable {
    /// The 1-based update number.
    public var step: Int
    /// LLaDA's supervised loss, averaged over the step's examples.
    public var loss: Double
    /// The gradient norm before clipping.
    public var gradNorm: Double
    /// The learning rate applied.
    public var learningRate: Double
    /// Real (non-padding) tokens through forward and backward.
    public var tokens: Int
    /// Wall time of the step, in seconds.
    public var seconds: Double
    /// Whether some rank asked to stop during the step (the same on every rank).
    public var stopRequested: Bool
}

/// A supervised step that cannot go on (non-finite values are ``TrainingError``s, as in RL).
public enum SupervisedTrainingError: Error, ExitCodeProviding, CustomStringConvertible {
    /// A step got a number of examples other than the batch size.
    case batchSize(step: Int, got: Int, expected: Int)

    /// 70 (internal error).
    public var exitCode: Int32 { ExitStatus.software }

    /// A message naming the step and the counts.
    public var description: String {
        switch self {
        case let .batchSize(step, got, expected):
            "supervised step \(step): \(got) examples, the batch size is \(expected)"
        }
    }
}

/// LLaDA-style masked supervised training (docs/algorithm.md §2) with AdamW on the flat buffers,
/// data-parallel over the ranks of a ``Cluster/Communicator``.
///
/// Each step masks every example with ``DLLM/SupervisedMasking`` keyed by (seed, step, example
/// index), so a mask does not depend on the rank that draws it. Every rank is given the whole
/// batch and runs forward and backward on its ``RankShares`` share of it, micro-batch by
/// micro-batch, accumulating into one gradient buffer; one all-reduce sums the ranks' gradients,
/// then every rank clips the global norm and takes the same AdamW step, so the weights stay equal
/// on all ranks. Sequences are left-padded to the longest of the step. With several threads the
/// micro-batches run side by side (``PassLanes``), their losses summed in order.
public final class SupervisedTrainer {
    /// The model being trained (updated in place).
    public let model: Model
    /// The training knobs.
    public let options: SupervisedTrainingOptions
    /// Updates taken so far.
    public private(set) var step: Int
    private let update: DataParallelUpdate
    private let masking: SupervisedMasking
    private let communicator: any Communicator
    private let lanes: PassLanes

    /// Creates a trainer with fresh optimiser state; the first update is `startStep + 1` (the
    /// masks of update s are keyed by s, so a continued run draws new ones). The learning-rate
    /// schedule, like the optimiser state, starts afresh: it runs over this trainer's updates.
    /// Every rank of `communicator` must hold the same weights and call ``train(on:)`` with the
    /// same examples.
    public init(model: Model, options: SupervisedTrainingOptions, startStep: Int = 0,
                communicator: any Communicator = SingleProcessCommunicator()) {
        precondition(options.batchSize > 0 && options.microBatchSize > 0, "SupervisedTrainer: batch sizes must be positive")
        self.model = model
        self.options = options
        self.step = startStep
        self.communicator = communicator
        update = DataParallelUpdate(parameters: model.parameters, schedule: options.schedule, settings: options.adamW,
                                    communicator: communicator)
        masking = SupervisedMasking(maskTokenID: model.config.maskTokenID, seed: options.seed)
        lanes = PassLanes(lanes: options.threads)
    }

    /// AdamW's moments and update count (what a checkpoint saves besides the weights).
    public var optimizer: OptimizerState { update.optimizer }

    /// Sets the counters of a resumed run: `step` updates of the model, `updates` of this trainer's
    /// optimiser (the schedule's position); the weights and moments are loaded separately.
    public func restore(step: Int, updates: Int) {
        self.step = step
        update.optimizer.updates = updates
    }

    /// One optimiser step on `examples` (exactly ``SupervisedTrainingOptions/batchSize`` of them,
    /// the same on every rank); the report's loss and tokens are the whole batch's.
    ///
    /// - Parameter stopRequested: polled on every rank; the report's `stopRequested` is true on
    ///   every rank when it was on any (a stop signal reaches one rank first).
    public func train(on examples: [SupervisedExample], stopRequested: () -> Bool = { false }) throws -> SupervisedStepReport {
        let start = Date()
        let number = step + 1
        guard examples.count == options.batchSize else {
            throw SupervisedTrainingError.batchSize(step: number, got: examples.count, expected: options.batchSize)
        }
        let config = model.config
        let share = RankShares(count: examples.count, ranks: communicator.size).range(of: communicator.rank)
        let seq = examples.map { $0.prompt.count + $0.response.count }.max() ?? 1
        let micro = max(1, min(options.microBatchSize, share.count))
        let firsts = Array(stride(from: share.lowerBound, to: share.upperBound, by: micro))
        update.zeroGradients()
        // Every micro-batch is padded to `micro` sequences of the step's longest example, so a
        // resumed run pads, and rounds, as the uninterrupted one did.
        // The passes read this step's weights through a snapshot (packed on an AVX-512 CPU).
        let trained = trainingPasses(of: model)
        let passes = lanes.run(units: firsts.count, model: trained, gradients: update.gradients) { u, pool, gradients in
            let samples = (firsts[u]..<min(firsts[u] + micro, share.upperBound)).map { index in
                masking.sample(prompt: examples[index].prompt, response: examples[index].response,
                               step: UInt64(number), exampleIndex: UInt64(index))
            }
            let ws = pool.workspaces(count: 1, model: trained, batch: micro, seq: seq)[0]
            let batch = MaskedBatch(samples: samples, batch: micro, seq: seq, padTokenID: config.padTokenID)
            trained.forward(batch, workspace: ws)
            let loss = supervisedLossForward(batch, logits: ws.logits, vocab: config.vocabSize, examples: examples.count)
            ws.zeroLogitGradients()
            supervisedLossBackward(batch, logits: ws.logits, vocab: config.vocabSize, examples: examples.count,
                                   dLogits: ws.dLogits)
            trained.backward(workspace: ws, gradients: gradients!)
            return (loss: loss, tokens: samples.reduce(0) { $0 + $1.tokens.count })
        }
        var loss = 0.0
        var tokens = 0
        for pass in passes {
            loss += pass.loss
            tokens += pass.tokens
        }
        let sums = try update.allReduce(SupervisedStepSums(loss: loss, tokens: Double(tokens), stops: stopRequested() ? 1 : 0))
        loss = sums.loss
        tokens = Int(sums.tokens)
        guard loss.isFinite else { throw TrainingError.nonFinite(step: number, quantity: "loss", value: loss) }
        let applied = try update.apply(step: number)
        step = number
        return SupervisedStepReport(step: number, loss: loss, gradNorm: applied.gradientNorm,
                                    learningRate: applied.learningRate, tokens: tokens,
                                    seconds: Date().timeIntervalSince(start), stopRequested: sums.stops > 0)
    }
}

/// What the ranks sum after a supervised step, beside the gradient.
private struct SupervisedStepSums: FieldwiseSums {
    /// The step's loss (each rank's share of the mean over the batch's examples).
    var loss = 0.0
    /// The tokens the step's forward passes read.
    var tokens = 0.0
    /// Ranks asked to stop (a signal).
    var stops = 0.0

    static var summedFields: [WritableKeyPath<SupervisedStepSums, Double>] { [\.loss, \.tokens, \.stops] }
}
