import Foundation
import TestSupport
import Testing

/// The overrides of `countdown-tiny` for a short supervised run of the tiny model: 3 steps of 4
/// examples, 2 test problems, responses of 32 tokens in blocks of 8.
let tinySFTOverrides = ["model.preset=tiny", "model.d_model=0", "model.mlp_hidden=0", "model.max_seq=64",
                        "sft.steps=3", "sft.batch_size=4", "sft.logging_steps=1", "train.micro_batch_size=3",
                        "task.test_size=2", "rollout.max_completion_length=32", "rollout.block_length=8",
                        "rollout.diffusion_steps=4"]

/// `bgpo sft --preset countdown-tiny` with `overrides` into `out`.
func tinySFTArguments(_ out: URL, _ overrides: [String] = tinySFTOverrides) -> [String] {
    ["sft", "--preset", "countdown-tiny", "--out", out.path, "--threads", "1"] + overrides.flatMap { ["--set", $0] }
}

/// `bgpo sft` takes `--preset/--config/--set` like `bgpo train`, writes the model with the
/// configuration that made it, and is the warm start of `bgpo train`.
@Suite(.serialized) struct SFTCLITests {
    @Test func sftWritesTheModelAndTheConfigurationThatMakesItAgain() throws {
        let directory = try temporaryDirectory("bgpo-sft-config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = directory.appendingPathComponent("first")
        let result = try runBGPO(tinySFTArguments(first))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("sft step 3/3 | loss "))
        #expect(result.stdout.contains("sft eval step 3: test accuracy ") && result.stdout.contains(" (SE, n = 2)"))
        for file in ["model.json", "model.safetensors", "config.toml"] {
            #expect(FileManager.default.fileExists(atPath: first.appendingPathComponent(file).path), "\(file) missing")
        }
        let description = try String(contentsOf: first.appendingPathComponent("model.json"), encoding: .utf8)
        #expect(description.contains("\"sft_steps\" : \"3\"") && description.contains("\"generation_length\" : \"32\""))
        let config = try String(contentsOf: first.appendingPathComponent("config.toml"), encoding: .utf8)
        #expect(config.contains("[sft]\nsteps = 3\nbatch_size = 4\n"), "\(config)")

        let again = directory.appendingPathComponent("again")
        let rerun = try runBGPO(["sft", "--config", first.appendingPathComponent("config.toml").path, "--out", again.path,
                                 "--threads", "1"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let weights = try Data(contentsOf: first.appendingPathComponent("model.safetensors"))
        #expect(try Data(contentsOf: again.appendingPathComponent("model.safetensors")) == weights)

        // --model continues a model directory: its updates and its problem stream go on.
        let continued = directory.appendingPathComponent("continued")
        let more = try runBGPO(tinySFTArguments(continued) + ["--model", first.path])
        #expect(more.status == 0, "\(more.stderr)")
        #expect(more.stdout.contains("continuing after 3 updates"), "\(more.stdout)")
        let moreDescription = try String(contentsOf: continued.appendingPathComponent("model.json"), encoding: .utf8)
        #expect(moreDescription.contains("\"sft_steps\" : \"6\""), "\(moreDescription)")
        #expect(try Data(contentsOf: continued.appendingPathComponent("model.safetensors")) != weights)
    }

    /// The warm start that `bgpo train` keeps in RUN_DIR/base is the model `bgpo sft` makes from the
    /// same configuration, bit for bit: the same problems, masks, initial weights and updates.
    @Test func sftMakesTheWarmStartOfTrain() throws {
        let directory = try temporaryDirectory("bgpo-sft-warm")
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("model"), run = directory.appendingPathComponent("run")
        let sft = try runBGPO(tinySFTArguments(model))
        #expect(sft.status == 0, "\(sft.stderr)")
        let rl = ["train.max_steps=1", "train.prompts_per_step=2", "train.eval_steps=0", "rollout.num_generations=2",
                  "objective.mc_num=2"]
        let train = try runBGPO(["train", "--preset", "countdown-tiny", "--output-dir", run.path, "--threads", "1"]
                                + (tinySFTOverrides + rl).flatMap { ["--set", $0] })
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("sft step 3/3 | loss "))
        let base = run.appendingPathComponent("base")
        #expect(try Data(contentsOf: base.appendingPathComponent("model.safetensors"))
                == (try Data(contentsOf: model.appendingPathComponent("model.safetensors"))))
        #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent("config.toml").path))
    }

    /// The study base's command of earlier versions: every retired option is named with the key
    /// to set instead, exit 64, and nothing is written.
    @Test func theOptionsOfEarlierVersionsAreRefusedWithTheirKeys() throws {
        let directory = try temporaryDirectory("bgpo-sft-old")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("base")
        let old = try runBGPO(["sft", "--task", "countdown", "--out", out.path, "--preset", "small", "--steps", "1500",
                               "--batch-size", "64", "--learning-rate", "1e-3", "--warmup-steps", "100", "--log-every", "100",
                               "--threads", "1"])
        #expect(old.status == 64)
        for expected in ["--preset small is a model preset: use --set model.preset=small",
                         "--task countdown: use --set task.name=countdown", "--steps 1500: use --set sft.steps=1500",
                         "--batch-size 64: use --set sft.batch_size=64", "--learning-rate 1e-3: use --set sft.learning_rate=1e-3",
                         "--warmup-steps 100: use --set sft.warmup_steps=100", "--log-every 100: use --set sft.logging_steps=100"] {
            #expect(old.stderr.contains(expected), "missing \(expected) in \(old.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))

        // The tiny run's arguments keep a run short should the refusal ever fail.
        let heads = try runBGPO(tinySFTArguments(out) + ["--heads=6"])
        #expect(heads.status == 64)
        #expect(heads.stderr.contains("--heads 6: use --set model.n_heads=6 --set model.n_kv_heads=6"), "\(heads.stderr)")

        let unknown = try runBGPO(tinySFTArguments(out) + ["--frobnicate", "3"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("unknown option '--frobnicate'"), "\(unknown.stderr)")
    }

    @Test func badKeysAndValuesAreConfigurationErrors() throws {
        let directory = try temporaryDirectory("bgpo-sft-keys")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("base")
        let misspelt = try runBGPO(tinySFTArguments(out, tinySFTOverrides + ["sft.stepz=3"]))
        #expect(misspelt.status == 64)
        #expect(misspelt.stderr.contains("sft.stepz") && misspelt.stderr.contains("sft.steps"), "\(misspelt.stderr)")
        let none = try runBGPO(tinySFTArguments(out, tinySFTOverrides + ["sft.steps=0"]))
        #expect(none.status == 64)
        #expect(none.stderr.contains("sft.steps"), "\(none.stderr)")
        let logging = try runBGPO(tinySFTArguments(out, tinySFTOverrides + ["sft.logging_steps=0"]))
        #expect(logging.status == 64)
        #expect(logging.stderr.contains("sft.logging_steps"), "\(logging.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
