import Base
import DLLM
import Foundation
import Testing

/// A denoiser whose logits are a fixed function of the row's real tokens and the position relative
/// to the first real token, so that results do not depend on left padding. Counts its forwards.
private final class FakeDenoiser: DenoisingModel {
    let vocabSize: Int
    let maxSequence = 512
    var forwards = 0
    var lastBatch = 0
    /// Rows computed over all forwards.
    var rows = 0
    private var buffer: [Float] = []

    init(vocab: Int = 12) { vocabSize = vocab }

    func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int) -> UnsafePointer<Float> {
        forwards += 1
        lastBatch = batch
        rows += batch
        buffer = [Float](repeating: 0, count: batch * seq * vocabSize)
        for b in 0..<batch {
            var start = 0
            while let keyMask, start < seq, keyMask[b * seq + start] == 0 { start += 1 }
            var context = 0
            for t in start..<seq { context = context &* 31 &+ Int(tokens[b * seq + t]) }
            for t in 0..<seq {
                for v in 0..<vocabSize {
                    let x = Double((context &+ (t - start) &* 7919 &+ v &* 104_729) & 0xFFFF) / 65536
                    buffer[(b * seq + t) * vocabSize + v] = Float(4 * sin(13 * x) + Double(v % 3))
                }
            }
        }
        return buffer.withUnsafeBufferPointer { UnsafePointer($0.baseAddress!) }
    }
}

/// A denoiser with the same logits at every position: log-weights `base`, plus `promptShift` added
/// to token 0's logit when no prompt token is masked (so conditional and unconditional rows differ).
private final class ConstantDenoiser: DenoisingModel {
    let vocabSize: Int
    let maxSequence = 64
    let base: [Float]
    let promptShift: Float
    let promptLength: Int
    let mask: Int32
    private var buffer: [Float] = []

    init(base: [Float], promptShift: Float = 0, promptLength: Int = 0, mask: Int32 = 1) {
        self.base = base
        self.vocabSize = base.count
        self.promptShift = promptShift
        self.promptLength = promptLength
        self.mask = mask
    }

    func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int) -> UnsafePointer<Float> {
        buffer = [Float](repeating: 0, count: batch * seq * vocabSize)
        for b in 0..<batch {
            let conditional = (0..<promptLength).allSatisfy { tokens[b * seq + $0] != mask }
            for t in 0..<seq {
                for v in 0..<vocabSize {
                    buffer[(b * seq + t) * vocabSize + v] = base[v] + (conditional && v == 0 ? promptShift : 0)
                }
            }
        }
        return buffer.withUnsafeBufferPointer { UnsafePointer($0.baseAddress!) }
    }
}

@Suite struct SamplerTests {
    let prompts: [[Int32]] = [[2, 5, 6, 7], [2, 8], [2, 9, 9, 9, 4, 5]]
    let keys: [[UInt64]] = [[0, 0, 0], [0, 1, 0], [0, 2, 0]]

    @Test func transferScheduleSpreadsTheRemainderOverTheFirstSteps() {
        #expect(SamplingOptions.transferSchedule(masked: 10, steps: 4) == [3, 3, 2, 2])
        #expect(SamplingOptions.transferSchedule(masked: 32, steps: 32) == [Int](repeating: 1, count: 32))
        #expect(SamplingOptions.transferSchedule(masked: 3, steps: 5) == [1, 1, 1, 0, 0])
        #expect(SamplingOptions.transferSchedule(masked: 8, steps: 1) == [8])
    }

    @Test func lengthsAndStepsThatDoNotDivideAreUsageErrorsNamingTheValues() {
        let lengthError = #expect(throws: SamplingError.lengthNotMultipleOfBlock(generationLength: 10, blockLength: 4)) {
            try SamplingOptions(generationLength: 10, blockLength: 4, steps: 5).validate()
        }
        #expect(lengthError?.exitCode == ExitStatus.usage)
        #expect(throws: SamplingError.stepsNotMultipleOfBlocks(steps: 6, blocks: 4)) {
            try SamplingOptions(generationLength: 16, blockLength: 4, steps: 6).validate()
        }
        #expect(SamplingError.stepsNotMultipleOfBlocks(steps: 6, blocks: 4).description.contains("6"))
        #expect(throws: SamplingError.badTemperature(-1)) {
            try SamplingOptions(generationLength: 16, blockLength: 4, steps: 4, temperature: -1).validate()
        }
        #expect(throws: SamplingError.nonPositive(name: "diffusion steps", value: 0)) {
            try DiffusionSampler(options: SamplingOptions(generationLength: 8, blockLength: 8, steps: 0),
                                 maskTokenID: 1, padTokenID: 0, seed: 0)
        }
        let model = FakeDenoiser()
        let sampler = try? DiffusionSampler(options: SamplingOptions(generationLength: 510, blockLength: 510, steps: 1),
                                            maskTokenID: 1, padTokenID: 0, seed: 0)
        #expect(throws: SamplingError.sequenceTooLong(promptLength: 4, generationLength: 510, maxSequence: 512)) {
            try sampler?.generate(model: model, prompts: [[2, 3, 4, 5]], keys: [[0]])
        }
    }

    @Test(arguments: [(0.0, Remasking.lowConfidence), (0.0, .random), (0.9, .lowConfidence), (1.5, .random)])
    func unmasksTheScheduleBlockByBlockAndNeverChangesACommittedToken(temperature: Double, remasking: Remasking) throws {
        // L = 12, blocks of 6, 8 steps: 4 steps per block committing 2, 2, 1, 1.
        let options = SamplingOptions(generationLength: 12, blockLength: 6, steps: 8, temperature: temperature, remasking: remasking)
        let sampler = try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 42)
        let model = FakeDenoiser()
        var trace: [SamplerStep] = []
        let responses = try sampler.generate(model: model, prompts: prompts, keys: keys) { trace.append($0) }
        #expect(trace.count == 8)
        #expect(model.forwards == 8)
        #expect(model.lastBatch == 3)
        var previous = [[Int32]](repeating: [Int32](repeating: 1, count: 12), count: 3)
        for (index, step) in trace.enumerated() {
            #expect(step.globalStep == index && step.block == index / 4 && step.step == index % 4)
            for b in 0..<3 {
                let committed = step.committed[b]
                #expect(committed.count == [2, 2, 1, 1][step.step])
                #expect(committed.allSatisfy { $0 >= step.block * 6 && $0 < step.block * 6 + 6 })
                for i in 0..<12 {
                    if committed.contains(i) {
                        #expect(previous[b][i] == 1 && step.responses[b][i] != 1)
                    } else {
                        #expect(step.responses[b][i] == previous[b][i])
                    }
                }
            }
            previous = step.responses
        }
        #expect(previous == responses)
        #expect(responses.allSatisfy { $0.count == 12 && !$0.contains(1) })
    }

    // MARK: - Parallel decoding with a confidence threshold

    /// At threshold 1 no proposal is confident enough (a probability is at most 1): one token per
    /// step, exactly the schedule of one token per step, streams included.
    @Test(arguments: [0.0, 0.9])
    func thresholdOneIsTheOneTokenPerStepSchedule(temperature: Double) throws {
        let threshold = SamplingOptions(generationLength: 12, blockLength: 6, steps: 4, temperature: temperature,
                                        confidenceThreshold: 1)
        let schedule = SamplingOptions(generationLength: 12, blockLength: 6, steps: 12, temperature: temperature)
        let (a, b) = (FakeDenoiser(), FakeDenoiser())
        let parallel = try DiffusionSampler(options: threshold, maskTokenID: 1, padTokenID: 0, seed: 42)
            .generate(model: a, prompts: prompts, keys: keys)
        let stepwise = try DiffusionSampler(options: schedule, maskTokenID: 1, padTokenID: 0, seed: 42)
            .generate(model: b, prompts: prompts, keys: keys)
        #expect(parallel == stepwise)
        #expect(a.forwards == 12 && b.forwards == 12)
    }

    /// A threshold below every confidence commits a whole block per step: the schedule of one step per block.
    @Test func aThresholdBelowEveryConfidenceDecodesABlockPerStep() throws {
        let threshold = SamplingOptions(generationLength: 12, blockLength: 6, steps: 12, confidenceThreshold: 1e-9)
        let schedule = SamplingOptions(generationLength: 12, blockLength: 6, steps: 2)
        let (a, b) = (FakeDenoiser(), FakeDenoiser())
        let parallel = try DiffusionSampler(options: threshold, maskTokenID: 1, padTokenID: 0, seed: 42)
            .generate(model: a, prompts: prompts, keys: keys)
        let blockwise = try DiffusionSampler(options: schedule, maskTokenID: 1, padTokenID: 0, seed: 42)
            .generate(model: b, prompts: prompts, keys: keys)
        #expect(parallel == blockwise)
        #expect(a.forwards == 2)
    }

    /// Each step commits exactly the masked positions of the block whose greedy proposal's
    /// probability exceeds the threshold, or the most confident one alone when none does; blocks
    /// still decode left to right and every position once.
    @Test func eachStepCommitsTheConfidentProposalsAndAtLeastOne() throws {
        let model = FakeDenoiser()
        let (length, block, vocab, threshold) = (12, 6, 12, 0.6)
        let options = SamplingOptions(generationLength: length, blockLength: block, steps: length, confidenceThreshold: threshold)
        let sampler = try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 0)
        var trace: [SamplerStep] = []
        let response = try sampler.generate(model: model, prompts: [prompts[0]], keys: [[0]]) { trace.append($0) }
        var state: [Int32] = prompts[0] + [Int32](repeating: 1, count: length)
        let offset = prompts[0].count
        var (parallelSteps, forcedSteps) = (0, 0)
        for step in trace {
            let logits = state.withUnsafeBufferPointer {
                model.logits(tokens: $0.baseAddress!, keyMask: nil, batch: 1, seq: state.count)
            }
            let blockRange = (step.block * block)..<((step.block + 1) * block)
            let confidence = blockRange.map { i -> Double in
                guard state[offset + i] == 1 else { return -.infinity }
                let row = (0..<vocab).map { Double(logits[(offset + i) * vocab + $0]) }
                let m = row.max()!
                return 1 / row.reduce(0) { $0 + exp($1 - m) }
            }
            let confident = blockRange.filter { confidence[$0 - blockRange.lowerBound] > threshold }
            if confident.isEmpty {
                let best = confidence.indices.max { confidence[$0] < confidence[$1] || (confidence[$0] == confidence[$1] && $0 > $1) }!
                #expect(step.committed[0] == [blockRange.lowerBound + best])
                forcedSteps += 1
            } else {
                #expect(step.committed[0] == confident)
                if confident.count > 1 { parallelSteps += 1 }
            }
            for i in 0..<length { state[offset + i] = step.responses[0][i] }
        }
        #expect(parallelSteps > 0 && forcedSteps > 0, "the threshold must exercise both cases: \(parallelSteps) parallel, \(forcedSteps) forced")
        #expect(trace.count < length && model.forwards == 2 * trace.count)  // the sampler's and this test's
        #expect(!response[0].contains(1))
    }

    /// Sequences whose block is decoded leave the forward batch, and each decodes as it would alone
    /// (padded batch, greedy and sampled).
    @Test(arguments: [0.0, 0.9])
    func finishedSequencesLeaveTheBatchAndEachDecodesAsAlone(temperature: Double) throws {
        let options = SamplingOptions(generationLength: 12, blockLength: 6, steps: 12, temperature: temperature,
                                      confidenceThreshold: 0.5)
        let sampler = try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 7)
        let model = FakeDenoiser()
        let batch = try sampler.generate(model: model, prompts: prompts, keys: keys)
        #expect(model.rows < 3 * model.forwards, "some forwards ran without the finished sequences: \(model.rows) rows in \(model.forwards)")
        for b in 0..<3 {
            #expect(try sampler.generate(model: FakeDenoiser(), prompts: [prompts[b]], keys: [keys[b]]) == [batch[b]])
        }
    }

    @Test func aThresholdOutsideItsRangeOrWithRandomRemaskingIsAUsageError() {
        for value in [0.0, -0.5, 1.5] {
            #expect(throws: SamplingError.badConfidenceThreshold(value)) {
                try SamplingOptions(generationLength: 8, blockLength: 8, steps: 8, confidenceThreshold: value).validate()
            }
        }
        #expect(throws: SamplingError.self) {
            try SamplingOptions(generationLength: 8, blockLength: 8, steps: 8, confidenceThreshold: .nan).validate()
        }
        #expect(throws: SamplingError.thresholdNeedsLowConfidence) {
            try SamplingOptions(generationLength: 8, blockLength: 8, steps: 8, remasking: .random, confidenceThreshold: 0.9).validate()
        }
    }

    @Test func greedyDecodingIsDeterministicAndBatchIndependent() throws {
        let options = SamplingOptions(generationLength: 8, blockLength: 4, steps: 4)
        let model = FakeDenoiser()
        let first = try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 1)
            .generate(model: model, prompts: prompts, keys: keys)
        let second = try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 99)
            .generate(model: model, prompts: prompts, keys: [[7], [8], [9]])
        #expect(first == second)
        // Alone, unpadded, each prompt decodes the same as in the padded batch.
        let sampler = try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 1)
        for b in 0..<3 {
            #expect(try sampler.generate(model: model, prompts: [prompts[b]], keys: [keys[b]]) == [first[b]])
        }
    }

    @Test func samplingIsKeyedBySeedAndSequenceKey() throws {
        let options = SamplingOptions(generationLength: 16, blockLength: 8, steps: 8, temperature: 1)
        let model = FakeDenoiser()
        let sampler = try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 5)
        let batch = try sampler.generate(model: model, prompts: [prompts[0], prompts[0]], keys: [[1, 0], [1, 1]])
        #expect(batch[0] != batch[1])
        #expect(try sampler.generate(model: model, prompts: [prompts[0]], keys: [[1, 1]]) == [batch[1]])
        let reseeded = try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 6)
            .generate(model: model, prompts: [prompts[0]], keys: [[1, 1]])
        #expect(reseeded != [batch[1]])
    }

    @Test func temperatureSamplesFromTheTemperedSoftmax() throws {
        let base: [Float] = [0, 1, 0.5, -1]
        let temperature = 0.7
        let model = ConstantDenoiser(base: base)
        let options = SamplingOptions(generationLength: 1, blockLength: 1, steps: 1, temperature: temperature)
        let sampler = try DiffusionSampler(options: options, maskTokenID: 9, padTokenID: 0, seed: 3)
        let n = 20_000
        let tokens = try sampler.generate(model: model, prompts: [[Int32]](repeating: [2], count: n),
                                          keys: (0..<n).map { [UInt64($0)] }).map { Int($0[0]) }
        let weights = base.map { exp(Double($0) / temperature) }
        let total = weights.reduce(0, +)
        for v in 0..<4 {
            let p = weights[v] / total
            let observed = Double(tokens.count(where: { $0 == v })) / Double(n)
            #expect(abs(observed - p) < 4 * (p * (1 - p) / Double(n)).squareRoot(), "token \(v): \(observed) vs \(p)")
        }
    }

    @Test func guidanceExtrapolatesFromTheUnconditionalLogits() throws {
        // cond = base + 0.4 on token 0, uncond = base; base favours token 1 by 1.0.
        // w = 1: uncond + 2 (cond - uncond) puts token 0 at +0.8 (< 1.0); w = 2: +1.2 (> 1.0).
        let model = ConstantDenoiser(base: [0, 1, -2, -3], promptShift: 0.4, promptLength: 2, mask: 3)
        let decode = { (w: Double) throws -> Int32 in
            let options = SamplingOptions(generationLength: 1, blockLength: 1, steps: 1, cfgScale: w)
            return try DiffusionSampler(options: options, maskTokenID: 3, padTokenID: 2, seed: 0)
                .generate(model: model, prompts: [[0, 0]], keys: [[0]])[0][0]
        }
        #expect(try decode(0) == 1)
        #expect(try decode(1) == 1)
        #expect(try decode(2) == 0)
    }

    @Test func lowConfidenceCommitsTheMostConfidentPositionsFirst() throws {
        // Position-dependent confidence: FakeDenoiser logits differ per position; the committed
        // position at a one-token step must be the masked position with the highest max-probability.
        let model = FakeDenoiser()
        let options = SamplingOptions(generationLength: 6, blockLength: 6, steps: 6)
        let sampler = try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 0)
        var trace: [SamplerStep] = []
        _ = try sampler.generate(model: model, prompts: [prompts[0]], keys: [[0]]) { trace.append($0) }
        var state: [Int32] = prompts[0] + [Int32](repeating: 1, count: 6)
        for step in trace {
            let logits = state.withUnsafeBufferPointer { model.logits(tokens: $0.baseAddress!, keyMask: nil, batch: 1, seq: 10) }
            let confidence = (0..<6).map { i -> Double in
                guard state[4 + i] == 1 else { return -.infinity }
                let row = (0..<12).map { Double(logits[(4 + i) * 12 + $0]) }
                let m = row.max()!
                return 1 / row.reduce(0) { $0 + exp($1 - m) }
            }
            let best = confidence.indices.max { confidence[$0] < confidence[$1] || (confidence[$0] == confidence[$1] && $0 > $1) }!
            #expect(step.committed[0] == [best])
            for i in 0..<6 { state[4 + i] = step.responses[0][i] }
        }
    }
    @Test func sampledLowConfidenceRanksByTheProbabilityOfTheSampledToken() throws {
        // Temperature 1.5, one token per step: the proposals are recomputed here from the
        // documented streams (one remasking draw, then one Gumbel draw per vocabulary id), and the
        // committed position must be the masked one whose *sampled* token has the highest
        // softmax probability (not the one with the highest probability of any token).
        let model = FakeDenoiser()
        let (length, vocab, mask, temperature, seed) = (6, 12, Int32(1), 1.5, UInt64(21))
        let options = SamplingOptions(generationLength: length, blockLength: length, steps: length,
                                      temperature: temperature)
        let sampler = try DiffusionSampler(options: options, maskTokenID: mask, padTokenID: 0, seed: seed)
        let prompt = prompts[0], key: [UInt64] = [4, 2]
        var trace: [SamplerStep] = []
        _ = try sampler.generate(model: model, prompts: [prompt], keys: [key]) { trace.append($0) }
        var state = prompt + [Int32](repeating: mask, count: length)
        var rankingsDiffer = false
        for step in trace {
            let seq = state.count
            let logits = state.withUnsafeBufferPointer { model.logits(tokens: $0.baseAddress!, keyMask: nil, batch: 1, seq: seq) }
            var sampledProbability = [Double](repeating: -.infinity, count: length)
            var largestProbability = [Double](repeating: -.infinity, count: length)
            var proposals = [Int32](repeating: -1, count: length)
            for i in 0..<length where state[prompt.count + i] == mask {
                let row = (0..<vocab).map { Double(logits[(prompt.count + i) * vocab + $0]) }
                var rng = CounterRandom(seed: seed, purpose: .rollout, indices: key + [UInt64(step.globalStep), UInt64(i)])
                _ = rng.nextDouble()
                var best = -1, bestScore = -Double.infinity
                for v in 0..<vocab {
                    let score = row[v] - temperature * log(-log(rng.nextDouble()))
                    if v != Int(mask) && score > bestScore { (best, bestScore) = (v, score) }
                }
                let m = row.max()!
                let total = row.reduce(0) { $0 + exp($1 - m) }
                proposals[i] = Int32(best)
                sampledProbability[i] = exp(row[best] - m) / total
                largestProbability[i] = 1 / total
            }
            let chosen = sampledProbability.indices.max { sampledProbability[$0] < sampledProbability[$1] }!
            let greedyChoice = largestProbability.indices.max { largestProbability[$0] < largestProbability[$1] }!
            rankingsDiffer = rankingsDiffer || chosen != greedyChoice
            #expect(step.committed[0] == [chosen], "step \(step.globalStep): p(sampled) \(sampledProbability)")
            #expect(step.responses[0][chosen] == proposals[chosen])
            for i in 0..<length { state[prompt.count + i] = step.responses[0][i] }
        }
        #expect(rankingsDiffer, "some step must rank differently by the largest probability, or the test proves nothing")
    }
}
