
#if canImport(Glibc)
import Base
import Glibc
#else
import Darwin
#endif

/// What one sampler step did; handed to the observer of ``DiffusionSampler/generate(model:prompts:keys:observer:)``.
public struct SamplerStep: Sendable {
    /// Block index, 0..<blocks.
    public var block: Int
    /// Step index within the block, 0..<stepsPerBlock (with a confidence threshold: until the block is decoded).
    public var step: Int
    /// Step index over the whole decode, 0..<steps.
    public var globalStep: Int
    /// Per sequence, the response positions (0..<L) committed at this step, ascending.
    public var committed: [[Int]]
    /// Per sequence, the response tokens after this step (`[MASK]` where not yet committed).
    public var responses: [[Int32]]
}

/// Semi-autoregressive block decoding with low-confidence or random remasking (docs/algorithm.md §3,
/// LLaDA's `generate`).
///
/// - Batching: any number of sequences decode together, one forward per step for all of them
///   (two with guidance: conditional and unconditional rows in the same batch). Prompts of
///   different lengths are left-padded to the longest with the pad token and key mask 0. Rotary
///   attention depends only on position differences and padded keys are masked out, so padding
///   changes nothing but float rounding. The G responses of one prompt are G copies of its prompt.
/// - Randomness: proposal noise and random-remasking noise of sequence b at global step s and
///   response position i come from `CounterRandom(seed:, purpose: .rollout, indices: keys[b] + [s, i])`:
///   first one `nextDouble()` (the `random` remasking confidence), then one `nextDouble()` u_v per
///   vocabulary entry (Gumbel noise, drawn only when temperature > 0). The draws do not depend on
///   the batch a sequence decodes in.
/// - Proposals: argmax of the logits at temperature 0; otherwise the Gumbel-max sample
///   `argmax_v exp(logit_v) / (-log u_v)^T`, evaluated in Double as
///   `argmax_v logit_v - T log(-log u_v)` (the same argmax without overflow). The `[MASK]` id is
///   never proposed (LLaDA's code would commit it, leaving a mask behind; a trained model never
///   proposes it, an untrained one may).
/// - Confidence (`low_confidence`): the softmax probability (no temperature, Double) of the proposal
///   under the (guided) logits. Only masked positions of the current block compete; the top-k
///   commit, k from ``SamplingOptions/transferSchedule(masked:steps:)``. Ties go to the lower
///   vocabulary id (argmax) and the lower position (top-k).
/// - Parallel decoding (``SamplingOptions/confidenceThreshold``, approximate): a block takes as
///   many steps as it needs; each step commits, per sequence, every masked proposal whose
///   confidence exceeds the threshold, at least the most confident one. Stream keys count the
///   steps actually taken. A sequence whose block is decoded leaves the forward batch until the
///   next block (its rows are not computed), so the batch's faster sequences cost nothing.
/// - Block-wise caching (``SamplingOptions/blockCache``, approximate): a block's first step runs
///   the full forward (the current block's logits); its later steps recompute the block's positions
///   only, reusing every other position's keys and values from the block's first step
///   (``DenoisingModel/cachedLogits(tokens:keyMask:batch:seq:positions:)``). The cache belongs to
///   the batch it was filled with, so with parallel decoding every sequence stays in the batch
///   until the block is done (a decoded sequence costs its block's rows only).
/// - Guidance (scale w > 0): the unconditional rows have every prompt token replaced by `[MASK]`;
///   logits are `uncond + (w + 1) (cond - uncond)`.
///
/// The sampler keeps its buffers between calls; use one sampler per thread.
public final class DiffusionSampler {
    /// The decoding knobs (validated).
    public let options: SamplingOptions
    /// The `[MASK]` token id.
    public let maskTokenID: Int32
    /// The token written at left-padding positions of short prompts.
    public let padTokenID: Int32
    /// The run seed of the rollout streams.
    public let seed: UInt64

    private var tokens: [Int32] = []
    private var keyMask: [UInt8] = []
    private var guided: UnsafeMutablePointer<Float>
    private var guidedCapacity = 0
    private var candidates: [(confidence: Double, position: Int, token: Int32)] = []
    /// The rows of the sequences still decoding, when others are done (parallel decoding).
    private var activeTokens: [Int32] = []
    private var activeKeyMask: [UInt8] = []

    /// Creates a sampler; throws ``SamplingError`` if `options` do not validate.
    public init(options: SamplingOptions, maskTokenID: Int32, padTokenID: Int32, seed: UInt64) throws {
        try options.validate()
        self.options = options
        self.maskTokenID = maskTokenID
        self.padTokenID = padTokenID
        self.seed = seed
        self.guided = .allocate(capacity: 0)
    }

    deinit {
        guided.deallocate()
    }

    /// A sampler with the same settings and its own buffers, for another thread.
    public func copy() throws -> DiffusionSampler {
        try DiffusionSampler(options: options, maskTokenID: maskTokenID, padTokenID: padTokenID, seed: seed)
    }

    /// Decodes one response of ``SamplingOptions/generationLength`` tokens per prompt.
    ///
    /// - Parameters:
    ///   - prompts: token ids of each sequence's prompt (BOS included); not empty.
    ///   - keys: per sequence, the indices of its rollout stream, e.g. `[step, promptIndex, responseIndex]`.
    ///   - observer: called after every step (tests and traces); costs a copy of the responses.
    /// - Returns: per sequence the L response tokens (EOS padding included; cut at the first EOS to
    ///   get the text).
    public func generate(model: any DenoisingModel, prompts: [[Int32]], keys: [[UInt64]],
                         observer: ((SamplerStep) -> Void)? = nil) throws -> [[Int32]] {
        guard prompts.count == keys.count else {
            throw SamplingError.keyCountMismatch(prompts: prompts.count, keys: keys.count)
        }
        let count = prompts.count
        guard count > 0 else { return [] }
        let length = options.generationLength
        let promptLength = prompts.map(\.count).max() ?? 0
        let seq = promptLength + length
        guard seq <= model.maxSequence else {
            throw SamplingError.sequenceTooLong(promptLength: promptLength, generationLength: length,
                                                maxSequence: model.maxSequence)
        }
        let guidance = options.cfgScale > 0
        let rows = guidance ? 2 * count : count
        let vocab = model.vocabSize
        let padded = prepare(prompts: prompts, promptLength: promptLength, seq: seq, rows: rows, guidance: guidance)
        if guidedCapacity < vocab {
            guided.deallocate()
            guided = .allocate(capacity: vocab)
            guidedCapacity = vocab
        }

        var streamKeys = keys.map { $0 + [0, 0] }
        let stepsPerBlock = options.stepsPerBlock
        var globalStep = 0
        for block in 0..<options.blocks {
            let low = promptLength + block * options.blockLength
            let high = low + options.blockLength
            func masked(_ b: Int) -> Int { (low..<high).count(where: { tokens[b * seq + $0] == maskTokenID }) }
            // What each sequence commits at a step: the schedule's count, or with a confidence
            // threshold the confident proposals while its block has masks.
            let schedules = options.confidenceThreshold != nil ? nil : (0..<count).map { b in
                SamplingOptions.transferSchedule(masked: masked(b), steps: stepsPerBlock)
            }
            func rule(_ b: Int, step: Int) -> CommitRule? {
                guard let schedules else {
                    return masked(b) > 0 ? .confident(above: options.confidenceThreshold!) : nil
                }
                return schedules[b][step] > 0 ? .top(schedules[b][step]) : nil
            }
            var step = 0
            while schedules == nil ? (0..<count).contains(where: { masked($0) > 0 }) : step < stepsPerBlock {
                defer { step += 1 }
                let rules = (0..<count).map { rule($0, step: step) }
                var committed = observer == nil ? [] : [[Int]](repeating: [], count: count)
                let active = (0..<count).filter { rules[$0] != nil }
                if !active.isEmpty {
                    // With the cache, the batch is the block's first step's: every sequence.
                    let batch = options.blockCache ? Array(0..<count) : active
                    let logits = forward(model, sequences: batch, of: count, seq: seq, padded: padded, guidance: guidance,
                                         positions: low..<high, cached: options.blockCache && step > 0)
                    for (slot, b) in batch.enumerated() where rules[b] != nil {
                        streamKeys[b][streamKeys[b].count - 2] = UInt64(globalStep)
                        let chosen = commit(sequence: b, rule: rules[b]!, logitsRows: (slot, batch.count + slot),
                                            range: low..<high, promptLength: promptLength, seq: seq, logits: logits,
                                            vocab: vocab, sequences: count, streamKey: &streamKeys[b])
                        if observer != nil { committed[b] = chosen }
                    }
                }
                if let observer {
                    let responses = (0..<count).map { b in Array(tokens[(b * seq + promptLength)..<(b * seq + seq)]) }
                    observer(SamplerStep(block: block, step: step, globalStep: globalStep,
                                         committed: committed, responses: responses))
                }
                globalStep += 1
            }
        }
        return (0..<count).map { b in Array(tokens[(b * seq + promptLength)..<(b * seq + seq)]) }
    }

    /// One forward pass over the rows of `sequences` (of `count`; with guidance their unconditional
    /// rows after them): over the token buffer itself when every sequence is in it, else over a copy
    /// of those rows, so that sequences whose block is decoded cost nothing (parallel decoding).
    /// Logits row i belongs to `sequences[i]`, row `sequences.count + i` to its unconditional row.
    /// `cached`: every sequence, over the keys and values of the previous pass (block-wise caching).
    private func forward(_ model: any DenoisingModel, sequences: [Int], of count: Int, seq: Int, padded: Bool,
                         guidance: Bool, positions: Range<Int>, cached: Bool) -> UnsafePointer<Float> {
        let rows = sequences + (guidance ? sequences.map { count + $0 } : [])
        guard sequences.count < count else {
            return tokens.withUnsafeBufferPointer { tokenBuffer in
                keyMask.withUnsafeBufferPointer { maskBuffer in
                    let (tokens, keyMask) = (tokenBuffer.baseAddress!, padded ? maskBuffer.baseAddress : nil)
                    return cached
                        ? model.cachedLogits(tokens: tokens, keyMask: keyMask, batch: rows.count, seq: seq, positions: positions)
                        : model.logits(tokens: tokens, keyMask: keyMask, batch: rows.count, seq: seq, positions: positions)
                }
            }
        }
        precondition(!cached, "DiffusionSampler: a cached pass runs over every sequence")
        activeTokens.removeAll(keepingCapacity: true)
        activeKeyMask.removeAll(keepingCapacity: true)
        for row in rows {
            activeTokens.append(contentsOf: tokens[(row * seq)..<((row + 1) * seq)])
            activeKeyMask.append(contentsOf: keyMask[(row * seq)..<((row + 1) * seq)])
        }
        return activeTokens.withUnsafeBufferPointer { tokenBuffer in
            activeKeyMask.withUnsafeBufferPointer { maskBuffer in
                model.logits(tokens: tokenBuffer.baseAddress!, keyMask: padded ? maskBuffer.baseAddress : nil,
                             batch: rows.count, seq: seq, positions: positions)
            }
        }
    }

    /// Fills the token and key-mask buffers; returns whether any prompt is padded.
    private func prepare(prompts: [[Int32]], promptLength: Int, seq: Int, rows: Int, guidance: Bool) -> Bool {
        let count = prompts.count
        tokens.removeAll(keepingCapacity: true)
        tokens.append(contentsOf: repeatElement(maskTokenID, count: rows * seq))
        keyMask.removeAll(keepingCapacity: true)
        keyMask.append(contentsOf: repeatElement(1, count: rows * seq))
        var padded = false
        for (b, prompt) in prompts.enumerated() {
            let pad = promptLength - prompt.count
            padded = padded || pad > 0
            for i in 0..<pad {
                tokens[b * seq + i] = padTokenID
                keyMask[b * seq + i] = 0
            }
            for (i, token) in prompt.enumerated() {
                tokens[b * seq + pad + i] = token
            }
            if guidance {
                // Unconditional row: padding stays padding, prompt tokens become [MASK].
                let u = (count + b) * seq
                for i in 0..<pad {
                    tokens[u + i] = padTokenID
                    keyMask[u + i] = 0
                }
            }
        }
        return padded
    }

    /// How many of a step's ranked proposals a sequence commits.
    private enum CommitRule: Equatable {
        /// The `k` most confident.
        case top(Int)
        /// Every one whose confidence exceeds the threshold, and at least the most confident.
        case confident(above: Double)
    }

    /// Proposes, ranks and commits tokens of sequence `b` (of `sequences`) within `range` as `rule`
    /// says, reading its logits at rows `logitsRows` (conditional, unconditional); returns the
    /// committed response positions, ascending.
    private func commit(sequence b: Int, rule: CommitRule, logitsRows: (conditional: Int, unconditional: Int),
                        range: Range<Int>, promptLength: Int, seq: Int, logits: UnsafePointer<Float>, vocab: Int,
                        sequences rowCount: Int, streamKey: inout [UInt64]) -> [Int] {
        let temperature = options.temperature
        let scale = Float(options.cfgScale + 1)
        let excluded = Int(maskTokenID)
        candidates.removeAll(keepingCapacity: true)
        for position in range where tokens[b * seq + position] == maskTokenID {
            var row = logits + (logitsRows.conditional * seq + position) * vocab
            if options.cfgScale > 0 {
                let uncond = logits + (logitsRows.unconditional * seq + position) * vocab
                for v in 0..<vocab {
                    guided[v] = uncond[v] + scale * (row[v] - uncond[v])
                }
                row = UnsafePointer(guided)
            }
            var remaskNoise = 0.0
            var proposal = 0
            if temperature == 0 && options.remasking == .lowConfidence {
                proposal = argmax(row, vocab, excluding: excluded)
            } else {
                streamKey[streamKey.count - 1] = UInt64(position - promptLength)
                var rng = CounterRandom(seed: seed, purpose: .rollout, indices: streamKey)
                remaskNoise = rng.nextDouble()
                proposal = temperature == 0
                    ? argmax(row, vocab, excluding: excluded)
                    : gumbelArgmax(row, vocab, excluding: excluded, temperature, &rng)
            }
            let confidence = options.remasking == .random ? remaskNoise : softmaxProbability(row, vocab, proposal)
            candidates.append((confidence, position, Int32(proposal)))
        }
        candidates.sort { $0.confidence > $1.confidence || ($0.confidence == $1.confidence && $0.position < $1.position) }
        let count = switch rule {
        case .top(let k): k
        case .confident(let threshold): max(1, candidates.prefix(while: { $0.confidence > threshold }).count)
        }
        var chosen: [Int] = []
        chosen.reserveCapacity(count)
        for candidate in candidates.prefix(count) {
            tokens[b * seq + candidate.position] = candidate.token
            if options.cfgScale > 0 {
                tokens[(rowCount + b) * seq + candidate.position] = candidate.token
            }
            chosen.append(candidate.position - promptLength)
        }
        return chosen.sorted()
    }
}

/// Index of the largest of `row[0..<n]` other than `excluded`, the lowest on ties.
private func argmax(_ row: UnsafePointer<Float>, _ n: Int, excluding excluded: Int) -> Int {
    var best = -1
    for v in 0..<n where v != excluded && (best < 0 || row[v] > row[best]) {
        best = v
    }
    return best
}

/// Gumbel-max sample of softmax(row / temperature) over the ids other than `excluded`, in Double:
/// `argmax_v row[v] - T log(-log u_v)`. A u is drawn for every id, `excluded` included.
private func gumbelArgmax(_ row: UnsafePointer<Float>, _ n: Int, excluding excluded: Int, _ temperature: Double,
                          _ rng: inout CounterRandom) -> Int {
    var best = excluded == 0 ? 1 : 0
    var bestScore = -Double.infinity
    for v in 0..<n {
        let u = rng.nextDouble()
        let score = Double(row[v]) - temperature * log(-log(u))
        if v != excluded && score > bestScore {
            bestScore = score
            best = v
        }
    }
    return best
}

/// softmax(row)[index] in Double.
private func softmaxProbability(_ row: UnsafePointer<Float>, _ n: Int, _ index: Int) -> Double {
    var maximum = -Double.infinity
    for v in 0..<n { maximum = max(maximum, Double(row[v])) }
    var sum = 0.0
    for v in 0..<n { sum += exp(Double(row[v]) - maximum) }
    return exp(Double(row[index]) - maximum) / sum
}
