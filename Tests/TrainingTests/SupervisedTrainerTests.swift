import DLLM
import Testing
import Training

@Suite struct SupervisedTrainerTests {
    /// Two fixed (prompt, response) pairs on a tiny model with the char-v1 vocabulary.
    let examples = [
        SupervisedExample(prompt: [2, 20, 21], response: [30, 31, 32, 0]),
        SupervisedExample(prompt: [2, 22], response: [40, 41, 0, 0]),
    ]

    func tinyCharModel() throws -> Model {
        var config = try ModelConfig.preset("tiny")
        config.vocabSize = CharTokenizer().vocabSize
        return Model(config: config, seed: 7)
    }

    func options(steps: Int, micro: Int, seed: UInt64 = 1, threads: Int = 1) -> SupervisedTrainingOptions {
        SupervisedTrainingOptions(batchSize: 4, microBatchSize: micro,
                                  schedule: LearningRateSchedule(peak: 1e-2, warmupUpdates: 5, totalUpdates: steps, shape: .cosine),
                                  adamW: AdamWSettings(weightDecay: 0), seed: seed, threads: threads)
    }

    @Test func trainingMemorisesTheExamplesAndTheSamplerDecodesThem() throws {
        let model = try tinyCharModel()
        let trainer = SupervisedTrainer(model: model, options: options(steps: 300, micro: 4))
        var losses: [Double] = []
        for _ in 0..<300 {
            let report = try trainer.train(on: examples + examples)
            #expect(report.loss.isFinite && report.gradNorm.isFinite)
            losses.append(report.loss)
        }
        #expect(trainer.step == 300)
        let early = losses.prefix(10).reduce(0, +) / 10, late = losses.suffix(10).reduce(0, +) / 10
        #expect(late < 0.1 * early, "loss \(early) -> \(late)")
        let sampler = try DiffusionSampler(options: SamplingOptions(generationLength: 4, blockLength: 2, steps: 4),
                                           maskTokenID: 1, padTokenID: 0, seed: 0)
        let decoded = try sampler.generate(model: ModelRunner(model: model), prompts: examples.map(\.prompt), keys: [[0], [1]])
        #expect(decoded == examples.map(\.response))
    }

    @Test func microBatchingGivesTheSameUpdate() throws {
        let whole = try tinyCharModel(), split = try tinyCharModel()
        let one = try SupervisedTrainer(model: whole, options: options(steps: 3, micro: 4)).train(on: examples + examples)
        let two = try SupervisedTrainer(model: split, options: options(steps: 3, micro: 3)).train(on: examples + examples)
        #expect(abs(one.loss - two.loss) < 1e-5 * abs(one.loss))
        #expect(abs(one.gradNorm - two.gradNorm) < 1e-4 * one.gradNorm)
        let difference = zip(whole.parameters.buffer, split.parameters.buffer).map { abs($0 - $1) }.max() ?? 0
        #expect(difference < 1e-5)
    }

    /// A step's micro-batches side by side on three threads (four micro-batches of one): the loss
    /// and token count of one thread bit for bit, the update up to the gradient's summation order,
    /// and the same bits again on three.
    @Test func microBatchesSideBySideTakeTheStepOfOneThread() throws {
        func step(threads: Int) throws -> (report: SupervisedStepReport, weights: [Float]) {
            let model = try tinyCharModel()
            let trainer = SupervisedTrainer(model: model, options: options(steps: 3, micro: 1, threads: threads))
            let report = try trainer.train(on: examples + examples)
            return (report, Array(model.parameters.buffer))
        }
        let alone = try step(threads: 1), together = try step(threads: 3), again = try step(threads: 3)
        #expect(together.report.loss == alone.report.loss && together.report.tokens == alone.report.tokens)
        #expect(abs(together.report.gradNorm - alone.report.gradNorm) < 1e-4 * alone.report.gradNorm)
        let difference = zip(together.weights, alone.weights).map { abs($0 - $1) }.max() ?? 0
        #expect(alone.report.gradNorm > 0 && difference < 1e-5)
        #expect(zip(together.weights, again.weights).allSatisfy { $0.bitPattern == $1.bitPattern })
    }

    /// A resumed trainer (a new one, with the weights, moments and counters of the checkpoint) takes
    /// the next step bit for bit as the uninterrupted one, also after a batch longer than the next:
    /// each step pads to its own longest example, not to the longest the trainer has seen.
    @Test func aResumedTrainerTakesTheNextStepAsTheUninterruptedOne() throws {
        let long = Array(repeating: SupervisedExample(prompt: [2, 20, 21, 22, 23, 24, 25], response: [30, 31, 32, 0]), count: 4)
        let whole = try tinyCharModel(), resumed = try tinyCharModel()
        let uninterrupted = SupervisedTrainer(model: whole, options: options(steps: 3, micro: 4))
        _ = try uninterrupted.train(on: long)
        let restarted = SupervisedTrainer(model: resumed, options: options(steps: 3, micro: 4))
        for (from, to) in [(whole.parameters, resumed.parameters), (uninterrupted.optimizer.m, restarted.optimizer.m),
                           (uninterrupted.optimizer.v, restarted.optimizer.v)] {
            for i in from.buffer.indices { to.buffer[i] = from.buffer[i] }
        }
        restarted.restore(step: 1, updates: 1)
        _ = try uninterrupted.train(on: examples + examples)
        _ = try restarted.train(on: examples + examples)
        let differing = zip(whole.parameters.buffer, resumed.parameters.buffer).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(differing) weights differ")
    }

    @Test func aContinuedTrainerRunsItsScheduleAfresh() throws {
        let trainer = SupervisedTrainer(model: try tinyCharModel(), options: options(steps: 10, micro: 4), startStep: 1500)
        let rates = try (0..<10).map { _ in try trainer.train(on: examples + examples).learningRate }
        let fresh = LearningRateSchedule(peak: 1e-2, warmupUpdates: 5, totalUpdates: 10, shape: .cosine)
        #expect(rates == (1...10).map { fresh.rate(update: $0) })
        #expect(rates.contains { $0 > 0 } && trainer.step == 1510)
    }

    @Test func aWrongBatchIsRejected() throws {
        let trainer = SupervisedTrainer(model: try tinyCharModel(), options: options(steps: 1, micro: 4))
        #expect(throws: SupervisedTrainingError.self) { try trainer.train(on: examples) }
    }
}
