import Base

/// How the sampler picks which proposals to commit at each step.
public enum Remasking: String, Codable, Sendable, CaseIterable {
    /// Commit the proposals the model is most confident of (softmax probability of the proposal).
    case lowConfidence = "low_confidence"
    /// Commit proposals at uniformly random positions of the current block.
    case random
}

/// The knobs of semi-autoregressive block decoding (docs/algorithm.md §3).
public struct SamplingOptions: Codable, Sendable, Equatable {
    /// L: response tokens generated after the prompt; a multiple of ``blockLength``.
    public var generationLength: Int
    /// Tokens per block; blocks are filled left to right.
    public var blockLength: Int
    /// S: diffusion steps over the whole response; a multiple of the number of blocks.
    public var steps: Int
    /// 0 decodes greedily; otherwise proposals are drawn from softmax(logits / temperature).
    public var temperature: Double
    /// Which proposals are committed at each step.
    public var remasking: Remasking
    /// Classifier-free guidance scale w; 0 turns guidance off.
    public var cfgScale: Double
    /// Parallel decoding (approximate; off when nil): instead of ``steps``' fixed schedule, each step
    /// commits every masked proposal of the block whose confidence exceeds this threshold, and at
    /// least the most confident one, until the block is decoded (Fast-dLLM's threshold rule).
    /// In (0, 1], low-confidence remasking only. At 1 it commits one token per step: exactly the
    /// schedule of `steps = generationLength`.
    public var confidenceThreshold: Double?
    /// Block-wise caching (approximate): each block's first step computes every position, later
    /// steps recompute the block's positions only, over the other positions' keys and values from
    /// that first step (Fast-dLLM's dual cache). Off: every step computes every position's keys.
    public var blockCache: Bool

    /// Creates options; call ``validate()`` before use.
    public init(generationLength: Int, blockLength: Int, steps: Int, temperature: Double = 0,
                remasking: Remasking = .lowConfidence, cfgScale: Double = 0, confidenceThreshold: Double? = nil,
                blockCache: Bool = false) {
        self.generationLength = generationLength
        self.blockLength = blockLength
        self.steps = steps
        self.temperature = temperature
        self.remasking = remasking
        self.cfgScale = cfgScale
        self.confidenceThreshold = confidenceThreshold
        self.blockCache = blockCache
    }

    /// L / blockLength.
    public var blocks: Int { generationLength / blockLength }
    /// S / blocks.
    public var stepsPerBlock: Int { steps / blocks }

    /// Throws ``SamplingError`` naming the values when lengths or steps do not divide or are out of range.
    public func validate() throws {
        guard generationLength > 0 else { throw SamplingError.nonPositive(name: "generation length", value: generationLength) }
        guard blockLength > 0 else { throw SamplingError.nonPositive(name: "block length", value: blockLength) }
        guard steps > 0 else { throw SamplingError.nonPositive(name: "diffusion steps", value: steps) }
        for (name, value) in [("generation length", generationLength), ("diffusion steps", steps)]
        where value > ModelConfig.maximumSize {
            throw SamplingError.tooLarge(name: name, value: value, limit: ModelConfig.maximumSize)
        }
        guard generationLength % blockLength == 0 else {
            throw SamplingError.lengthNotMultipleOfBlock(generationLength: generationLength, blockLength: blockLength)
        }
        guard steps % blocks == 0 else {
            throw SamplingError.stepsNotMultipleOfBlocks(steps: steps, blocks: blocks)
        }
        guard temperature >= 0, temperature.isFinite else { throw SamplingError.badTemperature(temperature) }
        guard cfgScale >= 0, cfgScale.isFinite else { throw SamplingError.badGuidanceScale(cfgScale) }
        if let confidenceThreshold {
            guard confidenceThreshold > 0, confidenceThreshold <= 1 else {
                throw SamplingError.badConfidenceThreshold(confidenceThreshold)
            }
            guard remasking == .lowConfidence else { throw SamplingError.thresholdNeedsLowConfidence }
        }
    }

    /// How many tokens each of `steps` steps commits in a block with `masked` masked positions:
    /// `masked / steps` each, the first `masked % steps` steps one more (LLaDA's `get_num_transfer_tokens`).
    public static func transferSchedule(masked: Int, steps: Int) -> [Int] {
        precondition(masked >= 0 && steps > 0, "transferSchedule: masked \(masked), steps \(steps)")
        let base = masked / steps
        let extra = masked % steps
        return (0..<steps).map { base + ($0 < extra ? 1 : 0) }
    }
}

/// Sampling options or inputs that cannot be decoded.
public enum SamplingError: Error, ExitCodeProviding, CustomStringConvertible, Equatable {
    /// A count that must be positive is not.
    case nonPositive(name: String, value: Int)
    /// A count above its maximum (a sequence length must fit a 32-bit integer).
    case tooLarge(name: String, value: Int, limit: Int)
    /// L is not a multiple of the block length.
    case lengthNotMultipleOfBlock(generationLength: Int, blockLength: Int)
    /// S is not a multiple of the number of blocks.
    case stepsNotMultipleOfBlocks(steps: Int, blocks: Int)
    /// The temperature is negative or not finite.
    case badTemperature(Double)
    /// The guidance scale is negative or not finite.
    case badGuidanceScale(Double)
    /// Prompt plus response do not fit the model's maximum sequence length.
    case sequenceTooLong(promptLength: Int, generationLength: Int, maxSequence: Int)
    /// The number of random-stream keys differs from the number of prompts.
    case keyCountMismatch(prompts: Int, keys: Int)
    /// A confidence threshold outside (0, 1].
    case badConfidenceThreshold(Double)
    /// A confidence threshold with a remasking rule other than low_confidence.
    case thresholdNeedsLowConfidence

    /// 64: these come from the command line or configuration.
    public var exitCode: Int32 { ExitStatus.usage }

    /// A message naming the values.
    public var description: String {
        switch self {
        case let .nonPositive(name, value):
            "sampling: \(name) must be positive, got \(value)"
        case let .tooLarge(name, value, limit):
            "sampling: \(name) must be at most \(limit), got \(value)"
        case let .lengthNotMultipleOfBlock(length, block):
            "sampling: generation length \(length) is not a multiple of block length \(block)"
        case let .stepsNotMultipleOfBlocks(steps, blocks):
            "sampling: diffusion steps \(steps) is not a multiple of the number of blocks \(blocks) (generation length / block length)"
        case let .badTemperature(value):
            "sampling: temperature must be finite and >= 0, got \(value)"
        case let .badGuidanceScale(value):
            "sampling: classifier-free guidance scale must be finite and >= 0, got \(value)"
        case let .sequenceTooLong(prompt, length, maxSeq):
            "sampling: prompt of \(prompt) tokens plus \(length) generated tokens exceeds the model's maximum sequence length \(maxSeq)"
        case let .keyCountMismatch(prompts, keys):
            "sampling: \(prompts) prompts but \(keys) random-stream keys"
        case let .badConfidenceThreshold(value):
            "sampling: the confidence threshold must be in (0, 1], got \(value)"
        case .thresholdNeedsLowConfidence:
            "sampling: a confidence threshold ranks by the model's confidence: it needs low_confidence remasking"
        }
    }
}
