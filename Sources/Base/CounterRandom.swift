/// A counter-based random generator: every value is a pure function of a key and a counter.
///
/// bgpo never uses a global random generator. Each stream of draws is keyed by the run seed,
/// a ``RandomPurpose`` and a list of indices (step, global prompt index, response index,
/// Monte-Carlo sample index, ...), so the same draw comes out whichever rank makes it, in whatever
/// order, and after any resume.
///
/// The mixing function is SplitMix64's finaliser applied to `key + counter * golden`, which
/// passes BigCrush as a counter-based generator.
public struct CounterRandom: RandomNumberGenerator, Sendable {
    /// The stream's key, derived from the seed, purpose and indices.
    public let key: UInt64
    /// How many 64-bit values have been drawn so far.
    public private(set) var counter: UInt64

    /// Creates the stream for `seed`, `purpose` and `indices`, positioned at its first value.
    public init(seed: UInt64, purpose: RandomPurpose, _ indices: UInt64...) {
        self.init(seed: seed, purpose: purpose, indices: indices)
    }

    /// Creates the stream for `seed`, `purpose` and `indices`, positioned at its first value.
    public init(seed: UInt64, purpose: RandomPurpose, indices: [UInt64]) {
        var k = CounterRandom.mix(seed ^ 0x6A09_E667_F3BC_C908)
        k = CounterRandom.mix(k ^ purpose.rawValue &* 0x9E37_79B9_7F4A_7C15)
        for index in indices {
            k = CounterRandom.mix(k &+ index &* 0xD1B5_4A32_D192_ED03 &+ 0x8CB9_2BA7_2F3D_8DD7)
        }
        self.key = k
        self.counter = 0
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        counter &+= 1
        return CounterRandom.mix(key &+ counter &* 0x9E37_79B9_7F4A_7C15)
    }

    /// A uniform `Float` in [0, 1) with 24 random bits.
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform `Double` in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A uniform `Double` in (0, 1], safe to pass to `log`.
    public mutating func nextOpenDouble() -> Double {
        1.0 - nextDouble()
    }

    /// A standard normal draw (Box-Muller, one value per call).
    public mutating func nextGaussian() -> Double {
        let u1 = nextOpenDouble()
        let u2 = nextDouble()
        return (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
    }

    /// SplitMix64's output function.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What a random stream is used for; part of every stream's key, so that streams never overlap.
public enum RandomPurpose: UInt64, Sendable, CaseIterable {
    /// Initial model weights.
    case initialization = 1
    /// Token sampling and random remasking in the diffusion sampler.
    case rollout
    /// Masks of the Monte-Carlo ELBO samples (which positions, which t).
    case likelihoodMask
    /// diffu-GRPO's random prompt masking.
    case promptMask
    /// Which prompts a step draws.
    case promptDraw
    /// Synthetic training problems of a task.
    case problemGeneration
    /// Masks of supervised (SFT) training.
    case sftMask
    /// Ordering of supervised training examples.
    case dataOrder
    /// Anything a test needs.
    case test
    /// Initial LoRA adapter weights.
    case adapterInitialization
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) private func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
