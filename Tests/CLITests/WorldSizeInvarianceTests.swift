import Foundation
import TestSupport
import Testing

/// One rank and two ranks run the same training: identical rollouts, rewards and masks (the
/// per-step `rollout_hash` over every prompt's responses, rewards, advantages and masked
/// samples), and weights equal up to float summation order. Two ranks split each mini-batch's
/// likelihood passes evenly, whichever rank rolled the responses out, so the cases cover the
/// inputs a rank must then build for responses it did not generate: masked samples and BGPO's
/// old-policy terms (two mini-batches, off-policy), and diffu-GRPO's old and reference
/// log-probabilities (beta > 0, two inner iterations).
@Suite struct WorldSizeInvarianceTests {
    /// A training configuration on top of ``tinyRLArguments(_:base:steps:saveSteps:)``.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var overrides: [String]
        /// The relative tolerance of `loss`, `grad_norm` and `kl`, which sum the gradient and the
        /// objective's terms in another order at two ranks.
        var relative: Double
        var testDescription: String { name }
    }

    /// BGPO's sums agree to 1e-5 (observed: 4e-8 on grad_norm at step 3, 2e-6 on kl with two
    /// mini-batches). diffu-GRPO's two inner iterations compare the policy with old and reference
    /// log-probs computed in other micro-batches, and each of its steps moves the weights far more
    /// (grad_norm about 10): observed 1.1e-5 on grad_norm at step 3 before the likelihood passes
    /// were balanced over the ranks, 8e-6 on the loss at step 2 after; tolerance 1e-4.
    static let cases = [
        Case(name: "bgpo", overrides: [], relative: 1e-5),
        Case(name: "bgpo, 2 mini-batches", overrides: ["train.mini_batches=2"], relative: 1e-5),
        Case(name: "diffu-grpo, beta 0.04, 2 iterations",
             overrides: ["objective.objective=diffu-grpo", "objective.beta=0.04", "objective.num_iterations=2"],
             relative: 1e-4),
    ]

    /// Keys that only depend on the rollouts and are counts (or the hash): equal exactly.
    private let exactKeys = ["rollout_hash", "frac_reward_zero_std", "completions/mean_length", "learning_rate"]

    /// Whether two sums of the same terms agree; each rank adds its prompts' rewards first, so
    /// the order of the additions (not the terms, which the hash covers) differs.
    private func agree(_ u: Double?, _ v: Double?, relative: Double, absolute: Double = 1e-12) -> Bool {
        guard let u, let v else { return false }
        return abs(u - v) <= absolute + relative * abs(u)
    }

    /// The loss and kl are sums of per-response terms of magnitude about 1 that cancel (advantages
    /// sum to zero per group; kl's log-ratios are differences of ELBOs of about 1), leaving values
    /// near 1e-3: their rounding follows the terms' scale, not their own. Observed with two
    /// mini-batches under `OPENBLAS_CORETYPE=Haswell`: loss 5.2e-8 apart (2.5e-5 relative), kl
    /// 3.8e-8 apart (4e-5 relative); tolerance 1e-6 absolute on top of the relative one.
    private let cancellingAbsolute = 1e-6

    @Test(arguments: cases)
    func oneAndTwoRanksDrawTheSameRolloutsAndReachTheSameWeights(_ training: Case) throws {
        let base = try warmStartedBaseModel()
        let one = try temporaryDirectory("bgpo-world-1"), two = try temporaryDirectory("bgpo-world-2")
        defer { try? FileManager.default.removeItem(at: one); try? FileManager.default.removeItem(at: two) }
        let overrides = training.overrides.flatMap { ["--set", $0] }

        let single = try runBGPO(tinyRLArguments(one, base: base, steps: 3) + overrides, environment: rlRunEnvironment)
        #expect(single.status == 0, "\(single.stderr)")
        #expect(single.stdout.contains("1 rank(s)"))
        let pair = try runBGPO(tinyRLArguments(two, base: base, steps: 3) + overrides, ranks: 2,
                               environment: rlRunEnvironment)
        #expect(pair.status == 0, "\(pair.stderr)")
        #expect(pair.stdout.contains("2 rank(s) (mpirun)"))

        let a = try deterministicMetrics(one), b = try deterministicMetrics(two)
        #expect(a.map { $0["step"] } == [0, 1, 2, 3])
        #expect(b.map { $0["step"] } == [0, 1, 2, 3])
        for (x, y) in zip(a, b) {
            let step = Int(x["step"] ?? -1)
            #expect(Set(x.keys) == Set(y.keys), "step \(step)")
            for key in exactKeys where step > 0 {
                #expect(x[key] != nil && x[key] == y[key], "step \(step) \(key): \(x[key] ?? .nan) vs \(y[key] ?? .nan)")
            }
            // Before step 1 the weights are equal (the evaluation at step 0 too): sums agree to rounding.
            for key in x.keys where key.hasPrefix("reward") || (step == 0 && key.hasPrefix("eval/")) {
                #expect(agree(x[key], y[key], relative: 1e-12), "step \(step) \(key): \(x[key] ?? .nan) vs \(y[key] ?? .nan)")
            }
            // Gradients are summed in another order (two partial sums, then the all-reduce).
            for key in ["loss", "grad_norm", "kl"] where step > 0 {
                #expect(agree(x[key], y[key], relative: training.relative, absolute: key == "grad_norm" ? 1e-12 : cancellingAbsolute),
                        "step \(step) \(key): \(x[key] ?? .nan) vs \(y[key] ?? .nan)")
            }
        }
        // The test means something only if advantages were non-zero: masks drawn, gradients summed.
        #expect(a.dropFirst().contains { ($0["frac_reward_zero_std"] ?? 1) < 1 && ($0["grad_norm"] ?? 0) > 0 })
        #expect(Set(a.dropFirst().compactMap { $0["rollout_hash"] }).count == 3, "each step draws other rollouts")

        // Weights: the ranks' partial gradient sums make the summed gradient differ in the last
        // bits (relative 1e-7); AdamW divides m by sqrt(v), so each of the 3 updates (at most
        // about lr = 1e-3 per weight) moves by an amount that differs far less than 1% of lr.
        // Observed: 6e-8 to 1.9e-7 over the cases. Tolerance 1e-5 absolute, while the weights move by
        // about 1e-3.
        let start = try safetensorsTensors(base.appendingPathComponent("model.safetensors"))
        let w1 = try exportedWeights(one, step: 3), w2 = try exportedWeights(two, step: 3)
        let tolerance: Float = 1e-5
        #expect(try largestDifference(w1, w2) <= tolerance)
        #expect(try largestDifference(w1, start) > 50 * tolerance, "the weights must move for the comparison to count")
    }

    /// With LoRA adapters over a bfloat16 base, one rank and two (mpirun) draw the same rollouts and
    /// masks and reach the same adapters: only the adapters' gradients are all-reduced and updated.
    @Test func loRAAdaptersAgreeAtOneAndTwoRanks() throws {
        let base = try warmStartedBaseModel()
        let one = try temporaryDirectory("bgpo-world-lora-1"), two = try temporaryDirectory("bgpo-world-lora-2")
        defer { try? FileManager.default.removeItem(at: one); try? FileManager.default.removeItem(at: two) }
        let single = try runBGPO(tinyRLArguments(one, base: base, steps: 2, lora: true), environment: rlRunEnvironment)
        #expect(single.status == 0, "\(single.stderr)")
        let pair = try runBGPO(tinyRLArguments(two, base: base, steps: 2, lora: true), ranks: 2, environment: rlRunEnvironment)
        #expect(pair.status == 0 && pair.stdout.contains("2 rank(s) (mpirun)"), "\(pair.stderr)")
        #expect(pair.stdout.contains("training LoRA adapters (rank 4"), "\(pair.stdout)")

        let a = try deterministicMetrics(one), b = try deterministicMetrics(two)
        #expect(a.map { $0["rollout_hash"] } == b.map { $0["rollout_hash"] })
        #expect(a.dropFirst().contains { ($0["grad_norm"] ?? 0) > 0 }, "the adapters must get a gradient")
        // The checkpoints hold the adapters only. AdamW's first updates move a weight by about
        // lr * sign(g) whatever |g| (much above epsilon), so the ranks' other summation order shows
        // only where a gradient cancels to near epsilon: A's first gradient (step 2, B just off
        // zero) has such components, which then move by another fraction of lr (observed: 7.6e-6
        // and, with a softmax rounded otherwise, 1.6e-5, in lora_A). A rank's gradient share lost
        // or counted twice changes the direction of whole tensors: differences of order lr = 1e-2.
        // Tolerance lr / 100.
        let w1 = try exportedWeights(one, step: 2), w2 = try exportedWeights(two, step: 2)
        #expect(w1.keys.allSatisfy { $0.contains(".lora_") }, "\(w1.keys.sorted().prefix(3))")
        #expect(try largestDifference(w1, w2) <= 1e-4)
        let moved = w1.filter { $0.key.contains("lora_B") }.values.flatMap { $0 }.map(abs).max() ?? 0
        #expect(moved > 1e-3, "B must move away from zero for the comparison to count: \(moved)")
    }
}
