import DLLM

/// A fingerprint of one RL step's data: every prompt's responses, rewards, advantages and
/// likelihood masks (or mask seeds), combined in global prompt order so that it does not depend on
/// how the prompts were sharded over the ranks. `metrics.jsonl` records it as `rollout_hash`; two
/// runs with equal hashes drew the same rollouts, rewards and masks.
///
/// Each rank hashes the prompts it holds into their slots of a step-wide array (one slot per
/// prompt of the step, zero elsewhere); the array travels in the step's statistics all-reduce,
/// whose sum then holds every prompt's hash whatever the world size (adding zeros is exact),
/// and ``combine(_:)`` folds the slots in prompt order. A slot holds 52 bits of a 64-bit FNV-1a
/// hash, so that it is an exact integer in a `Double`.
struct RolloutDigest {
    /// One hash per prompt position of the step; 0 for the positions other ranks hold.
    private(set) var slots: [Double]

    /// An empty digest for a step of `promptsPerStep` prompts.
    init(promptsPerStep: Int) {
        slots = [Double](repeating: 0, count: promptsPerStep)
    }

    /// Hashes one prompt's group into its slot.
    ///
    /// - Parameters:
    ///   - position: the prompt's position in the step's global batch.
    ///   - promptIndex: its global problem index.
    ///   - responses: its responses' tokens, in generation order.
    ///   - rewards: their rewards; `advantages`: their advantages.
    ///   - masks: per response that enters the objective, what decides its likelihood masks:
    ///     the masked samples' positions, targets and weights (ELBO objectives), or the index
    ///     words of its mask stream (diffu-GRPO).
    mutating func add(position: Int, promptIndex: UInt64, responses: [[Int32]], rewards: [Double],
                      advantages: [Double], masks: [[UInt64]]) {
        var hash = FNV1a()
        hash.add(UInt64(position))
        hash.add(promptIndex)
        for response in responses {
            hash.add(UInt64(response.count))
            for token in response { hash.add(UInt64(UInt32(bitPattern: token))) }
        }
        for value in rewards + advantages { hash.add(value.bitPattern) }
        for words in masks {
            hash.add(UInt64(words.count))
            for word in words { hash.add(word) }
        }
        slots[position] = Double(hash.value >> 12)
    }

    /// The words of `samples` that fix the masks: per sample its mask ratio, masked positions,
    /// targets and weights.
    static func maskWords(_ samples: [MaskedSample]) -> [UInt64] {
        var words: [UInt64] = []
        for sample in samples {
            words.append(sample.maskRatio.bitPattern)
            words.append(UInt64(sample.positions.count))
            for (i, position) in sample.positions.enumerated() {
                words.append(UInt64(UInt32(bitPattern: position)) << 32 | UInt64(UInt32(bitPattern: sample.targets[i])))
                words.append(UInt64(sample.weights[i].bitPattern))
            }
        }
        return words
    }

    /// The step's hash from the all-reduced slots: their 52-bit values folded in prompt order,
    /// again 52 bits (an exact integer in a `Double` and in JSON).
    static func combine<Slots: Collection<Double>>(_ slots: Slots) -> Double {
        var hash = FNV1a()
        for slot in slots { hash.add(UInt64(slot)) }
        return Double(hash.value >> 12)
    }
}

/// 64-bit FNV-1a over the little-endian bytes of 64-bit words.
private struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ word: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) {
            value = (value ^ (word >> UInt64(shift) & 0xff)) &* 0x0000_0100_0000_01b3
        }
    }
}
