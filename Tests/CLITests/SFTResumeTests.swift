import Foundation
import TestSupport
import Testing

/// `bgpo sft` checkpoints and resumes like `bgpo train`: a stop signal ends it with a checkpoint and
/// exit 75, the same command continues it to the uninterrupted run's model bit for bit, and a
/// resume that would change the training is refused.
@Suite(.serialized) struct SFTResumeTests {
    /// Enough tiny steps that a signal sent after the first lands before the last.
    static let steps = 200
    static let overrides = tinySFTOverrides + ["sft.steps=\(steps)", "sft.save_steps=0", "sft.warmup_steps=10"]

    @Test(arguments: [1, 2])
    func aStoppedRunResumesToTheUninterruptedModel(ranks: Int) throws {
        let directory = try temporaryDirectory("bgpo-sft-resume")
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = directory.appendingPathComponent("whole"), parts = directory.appendingPathComponent("parts")
        let launch = ranks > 1 ? ranks : nil
        let uninterrupted = try runBGPO(tinySFTArguments(whole, Self.overrides), ranks: launch, environment: rlRunEnvironment)
        try #require(uninterrupted.status == 0, "\(uninterrupted.stderr)")

        // SIGUSR1 once step 1 is logged (to mpirun, which forwards it to every rank): the run finishes
        // the step in progress, checkpoints it and exits 75.
        let arguments = tinySFTArguments(parts, Self.overrides)
        let run = try BackgroundBGPO(arguments, ranks: launch, environment: rlRunEnvironment)
        #expect(waitUntil(seconds: 120, interval: 0.002) { run.stdout.contains("sft step 1/\(Self.steps)") || !run.isRunning })
        run.signal(SIGUSR1)
        let stopped = try run.finish()
        try #require(stopped.status == 75, "\(stopped.stdout)\(stopped.stderr)")
        let line = try #require(stopped.stdout.split(separator: "\n").first { $0.hasPrefix("stopping at step ") })
        let k = try #require(Int(line.dropFirst("stopping at step ".count).prefix { $0.isNumber }))
        #expect(k >= 1 && k < Self.steps && line.contains("of \(Self.steps) (signal SIGUSR1)"), "\(line)")
        let checkpoint = parts.appendingPathComponent("checkpoints/step-" + String(format: "%06d", k))
        #expect(FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("optimizer.safetensors.zst").path))

        let resumed = try runBGPO(arguments, ranks: launch, environment: rlRunEnvironment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming from \(checkpoint.path) at step \(k) (\(k) of this run's \(Self.steps))"),
                "\(resumed.stdout)")
        let model = try Data(contentsOf: whole.appendingPathComponent("model.safetensors"))
        #expect(try Data(contentsOf: parts.appendingPathComponent("model.safetensors")) == model,
                "the resumed model differs from the uninterrupted one")

        // Again: the final checkpoint says the run is complete; nothing changes.
        let again = try runBGPO(arguments, ranks: launch, environment: rlRunEnvironment)
        #expect(again.status == 0 && again.stdout.contains("the run is already complete"), "\(again.stdout)\(again.stderr)")
        #expect(try Data(contentsOf: parts.appendingPathComponent("model.safetensors")) == model)
    }

    /// A resume over another training configuration, or `--resume never` over checkpoints, exits 64
    /// naming the key or the directory, and leaves the checkpoints and the model as they were.
    @Test func aResumeThatWouldChangeTheTrainingIsRefused() throws {
        let directory = try temporaryDirectory("bgpo-sft-refused")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("model")
        let overrides = tinySFTOverrides + ["sft.save_steps=1"]
        let first = try runBGPO(tinySFTArguments(out, overrides))
        try #require(first.status == 0, "\(first.stderr)")
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("checkpoints").path).sorted()
        let model = try Data(contentsOf: out.appendingPathComponent("model.safetensors"))

        let changed = try runBGPO(tinySFTArguments(out, overrides + ["sft.learning_rate=0.5"]))
        #expect(changed.status == 64 && changed.stderr.contains("sft.learning_rate"), "\(changed.stderr)")
        let never = try runBGPO(tinySFTArguments(out, overrides) + ["--resume", "never"])
        #expect(never.status == 64 && never.stderr.contains(out.appendingPathComponent("checkpoints").path), "\(never.stderr)")
        // A change that does not alter the training (the evaluation cadence) resumes: already complete.
        let cadence = try runBGPO(tinySFTArguments(out, overrides + ["sft.eval_steps=1"]))
        #expect(cadence.status == 0 && cadence.stdout.contains("already complete"), "\(cadence.stdout)\(cadence.stderr)")

        #expect(try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("checkpoints").path).sorted()
                == checkpoints)
        #expect(try Data(contentsOf: out.appendingPathComponent("model.safetensors")) == model)
    }

    /// `bgpo train` stopped during its supervised warm start exits 75 with a warm-start checkpoint;
    /// the same command finishes the warm start and the RL run, to the uninterrupted run's base and
    /// final checkpoint byte for byte.
    @Test func aTrainRunStoppedInItsWarmStartResumesExactly() throws {
        let directory = try temporaryDirectory("bgpo-warm-start-resume")
        defer { try? FileManager.default.removeItem(at: directory) }
        let overrides = tinyTrainOverrides(steps: 1).filter { $0 != "sft.steps=0" && !$0.hasPrefix("rollout.max_completion_length") }
            + ["rollout.max_completion_length=32"]
            + ["sft.steps=\(Self.steps)", "sft.batch_size=4", "sft.logging_steps=1", "sft.save_steps=0", "sft.warmup_steps=10"]
        func arguments(_ run: URL) -> [String] {
            ["train", "--preset", "countdown-tiny", "--output-dir", run.path, "--threads", "1"] + overrides.flatMap { ["--set", $0] }
        }
        let whole = directory.appendingPathComponent("whole"), parts = directory.appendingPathComponent("parts")
        let uninterrupted = try runBGPO(arguments(whole), environment: rlRunEnvironment)
        try #require(uninterrupted.status == 0, "\(uninterrupted.stderr)")

        let run = try BackgroundBGPO(arguments(parts), environment: rlRunEnvironment)
        #expect(waitUntil(seconds: 120, interval: 0.002) { run.stdout.contains("sft step 1/\(Self.steps)") || !run.isRunning })
        run.signal(SIGUSR1)
        let stopped = try run.finish()
        try #require(stopped.status == 75, "\(stopped.stdout)\(stopped.stderr)")
        #expect(stopped.stderr.contains("the supervised warm start stopped at step"), "\(stopped.stderr)")
        #expect(try latestStep(parts) == nil, "no RL checkpoint yet")

        let resumed = try runBGPO(arguments(parts), environment: rlRunEnvironment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming from \(parts.path)/base/warm-start-"), "\(resumed.stdout)")
        let base = "base/model.safetensors"
        #expect(try Data(contentsOf: parts.appendingPathComponent(base)) == (try Data(contentsOf: whole.appendingPathComponent(base))))
        #expect(try checkpointFiles(whole, step: 1) == (try checkpointFiles(parts, step: 1)), "the RL checkpoints differ")
    }
}
