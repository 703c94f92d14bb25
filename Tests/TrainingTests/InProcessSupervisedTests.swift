import DLLM
import Testing
import Training

/// Supervised training (``SupervisedTrainer``) at 1, 2, 3 and 4 in-process ranks: each rank
/// runs its ``RankShares`` share of every batch, so every rank ends with the same weights and,
/// up to the order of the gradient sum, with the single rank's; the reports agree (tokens and
/// learning rate exactly). The tolerances are those of the mpirun test of `bgpo sft` (loss 1e-4
/// relative, weights 1e-5) and of micro-batching (grad norm 1e-4); observed: loss within 2e-8
/// relative, grad norm within 8e-8, weights within 5e-7.
@Suite(.serialized) struct InProcessSupervisedTests {
    /// Six examples of prompts of 2 to 4 tokens and responses of 4 (EOS padding included).
    static let examples: [SupervisedExample] = (0..<6).map { (i: Int) -> SupervisedExample in
        let prompt: [Int32] = [2] + (0..<(1 + i % 3)).map { Int32(20 + i + $0) }
        let third: Int32 = i % 2 == 0 ? Int32(50 + i) : 0
        return SupervisedExample(prompt: prompt, response: [Int32(30 + i), Int32(40 + i), third, 0])
    }

    /// What one rank ends with.
    struct RankResult: Sendable {
        var weights: [Float]
        var reports: [SupervisedStepReport]
    }

    /// `steps` supervised steps on batches of `batchSize` examples (micro-batches of 2) at `size` ranks.
    private func train(batchSize: Int, size: Int, steps: Int = 3) throws -> [RankResult] {
        let batch = Array(Self.examples.prefix(batchSize))
        return try InProcessRanks.run(size: size) { communicator in
            var config = try ModelConfig.preset("tiny")
            config.vocabSize = CharTokenizer().vocabSize
            let model = Model(config: config, seed: 7)
            let options = SupervisedTrainingOptions(
                batchSize: batchSize, microBatchSize: 2,
                schedule: LearningRateSchedule(peak: 1e-2, warmupUpdates: 1, totalUpdates: steps, shape: .cosine), seed: 3)
            let trainer = SupervisedTrainer(model: model, options: options, communicator: communicator)
            let reports = try (0..<steps).map { _ in try trainer.train(on: batch) }
            return RankResult(weights: InProcessRanks.elements(model.parameters), reports: reports)
        }
    }

    /// 3 examples leave rank 3 of 4 without any; 4 split evenly at 2 and 4 ranks, not at 3; 6 at
    /// 2 and 3, not at 4.
    @Test(arguments: [3, 4, 6])
    func everyWorldSizeTakesTheSameSteps(batchSize: Int) throws {
        let single = try train(batchSize: batchSize, size: 1)[0]
        #expect(single.reports.allSatisfy { $0.loss.isFinite && $0.gradNorm > 0 })
        for size in InProcessRanks.worldSizes.dropFirst() {
            let ranks = try train(batchSize: batchSize, size: size)
            for (rank, result) in ranks.enumerated().dropFirst() {
                let weights = InProcessRanks.differingElements(result.weights, ranks[0].weights)
                #expect(weights == 0, "\(size) ranks: \(weights) of rank \(rank)'s weights differ from rank 0's")
                #expect(result.reports.map(\.loss) == ranks[0].reports.map(\.loss), "\(size) ranks: rank \(rank)'s losses")
                #expect(result.reports.map(\.gradNorm) == ranks[0].reports.map(\.gradNorm), "\(size) ranks: rank \(rank)")
            }
            for (a, b) in zip(single.reports, ranks[0].reports) {
                let label = "\(size) ranks, \(batchSize) examples, step \(a.step)"
                #expect(a.step == b.step && a.tokens == b.tokens && a.learningRate == b.learningRate, "\(label)")
                #expect(InProcessRanks.agree(a.loss, b.loss, relative: 1e-4), "\(label): loss \(a.loss) vs \(b.loss)")
                #expect(InProcessRanks.agree(a.gradNorm, b.gradNorm, relative: 1e-4),
                        "\(label): grad norm \(a.gradNorm) vs \(b.gradNorm)")
            }
            let difference = InProcessRanks.largestDifference(single.weights, ranks[0].weights)
            #expect(difference <= 1e-5, "\(size) ranks, \(batchSize) examples: weights differ by \(difference)")
        }
        var config = try ModelConfig.preset("tiny")
        config.vocabSize = CharTokenizer().vocabSize
        let start = InProcessRanks.elements(Model(config: config, seed: 7).parameters)
        #expect(InProcessRanks.largestDifference(single.weights, start) > 1e-3, "the steps moved the weights")
    }
}
