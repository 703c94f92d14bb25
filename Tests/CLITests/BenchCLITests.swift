import DLLM
import Foundation
import Testing

/// A tiny model with the countdown rollout shape cut down: 8 response tokens in blocks of 4.
private let tinyRollout = ["--set", "model.preset=tiny", "--set", "model.max_seq=64",
                           "--set", "rollout.max_completion_length=8", "--set", "rollout.block_length=4",
                           "--set", "rollout.diffusion_steps=4", "--set", "rollout.num_generations=2"]


@Test func benchSamplerJSONCountsTheGeneratedTokens() throws {
    let result = try runBGPO(["bench", "sampler", "--prompts", "2", "--runs", "1", "--json"] + tinyRollout)
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try jsonLines(result.stdout).first)
    #expect(object["prompts"] as? Int == 2)
    #expect(object["num_generations"] as? Int == 2)
    #expect(object["all_positions"] as? Bool == false)
    // Two blocks of two steps each: one forward per step and prompt, 8 per run.
    let forwards = (object["forwards_per_s"] as? Double ?? 0) * (object["seconds"] as? Double ?? 0)
    #expect(abs(forwards - 8) < 1e-6, "\(forwards) forward passes per run")
    for key in ["generated_tokens_per_s", "generated_tokens_per_cpu_s", "gflops", "seconds"] {
        #expect(object[key] as? Double ?? 0 > 0, "\(key)")
    }
}

@Test func benchStepJSONHasTheTimingOfEveryCase() throws {
    let result = try runBGPO(["bench", "step", "--cases", "bgpo:2,vrpo-ol:2", "--threads", "1", "--json",
                              "--set", "train.prompts_per_step=2"] + tinyRollout)
    #expect(result.status == 0, "\(result.stderr)")
    let objects = try jsonLines(result.stdout)
    #expect(objects.map { $0["objective"] as? String } == ["bgpo", "vrpo-ol"])
    for object in objects {
        #expect(object["mc_num"] as? Int == 2)
        for key in ["timing_s/rollout", "timing_s/likelihood", "timing_s/checkpoint", "step_time", "prompts_per_s"] {
            #expect(object[key] is Double, "\(key)")
        }
        #expect(object["step_time"] as? Double ?? 0 > 0)
    }
}

@Test func benchCompareWithoutPyTorchExits64NamingTheSetupScript() throws {
    let result = try runBGPO(["bench", "compare", "--preset", "tiny", "--python", "/nonexistent/python"])
    #expect(result.status == 64)
    #expect(result.stderr.contains("env/setup-torch.sh"))
}
