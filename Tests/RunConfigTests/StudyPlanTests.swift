import Base
import Foundation
import RunConfig
import Testing

/// Study files: planning the runs, and refusing what is wrong before anything runs.
struct StudyPlanTests {
    static let valid = """
        output_dir = "out/s"
        seeds = [0, 1]
        overrides = ["train.max_steps=3", "rollout.temperature=0.5"]

        [[run]]
        name = "bgpo"
        preset = "countdown-bgpo"

        [[run]]
        name = "vrpo"
        preset = "countdown-vrpo-ol"
        overrides = ["rollout.temperature=0.7"]
        seeds = [5]
        """

    static func plan(_ text: String, extra: [String] = []) throws -> StudyPlan {
        try StudyPlan.plan(toml: text, source: "s.toml", defaultDirectory: "studies/s", extraOverrides: extra)
    }

    @Test func plansEveryEntryAndSeedInOrder() throws {
        let plan = try Self.plan(Self.valid, extra: ["train.eval_steps=1"])
        #expect(plan.directory == "out/s")
        #expect(plan.runs.map(\.directory) == ["out/s/bgpo/seed-0", "out/s/bgpo/seed-1", "out/s/vrpo/seed-5"])
        #expect(plan.runs.map(\.index) == [0, 1, 2])
        #expect(plan.runs.map(\.config.train.seed) == [0, 1, 5])
        #expect(plan.runs.allSatisfy { $0.config.train.maxSteps == 3 && $0.config.train.evalSteps == 1 })
        #expect(plan.runs[0].config.rollout.temperature == 0.5)
        #expect(plan.runs[2].config.rollout.temperature == 0.7, "the entry's overrides come after the study's")
        #expect(plan.runs[2].config.objective.objective == .vrpoOL)
        #expect(plan.runs[1].commandLine() == "bgpo train --preset countdown-bgpo --set train.max_steps=3 "
            + "--set rollout.temperature=0.5 --set train.eval_steps=1 --set train.seed=1 --output-dir out/s/bgpo/seed-1")
        let other = try StudyPlan.plan(toml: Self.valid, source: "s.toml", defaultDirectory: "d", studyDirectory: "/x")
        #expect(other.runs[0].directory == "/x/bgpo/seed-0")
    }

    /// Every mistake is a configuration error (exit 64) that names what is wrong.
    @Test(arguments: [
        ("preset = \"countdown-nope\"", "countdown-nope"),
        ("overrides = [\"objective.mc_nums=3\"]", "objective.mc_nums"),
        ("overrides = [\"objective.mc_num=0\"]", "objective.mc_num"),
        ("overrides = [\"train.seed=3\"]", "train.seed"),
        ("overrides = [\"task.name=chess\"]", "chess"),
        ("overrides = [\"task.name=gsm8k\", \"task.eval_set=heldout\"]", "task.eval_set"),
        ("seeds = [1, 1]", "seeds"),
        ("seeds = []", "seeds"),
        ("colour = \"red\"", "colour"),
    ])
    func mistakesExit64NamingThem(_ line: String, _ named: String) throws {
        let text = """
            seeds = [0]

            [[run]]
            name = "a"
            preset = "countdown-bgpo"
            \(line)
            """
        // A line that repeats `preset` replaces it: TOML forbids duplicate keys, so build it in.
        let study = line.hasPrefix("preset") ? text.replacingOccurrences(of: "preset = \"countdown-bgpo\"\n", with: "") : text
        #expect { try Self.plan(study) } throws: { error in
            guard let coded = error as? any ExitCodeProviding else { return false }
            return coded.exitCode == 64 && "\(error)".contains(named)
        }
    }

    @Test func fileLevelMistakesExit64() {
        for (text, named) in [("sets = [0]\n[[run]]\nname = \"a\"\npreset = \"countdown-bgpo\"", "sets"),
                              ("seeds = [0]", "run"),
                              ("seeds = [0]\n[[run]]\nname = \"a/b\"\npreset = \"countdown-bgpo\"", "run[0].name"),
                              ("seeds = [0]\n[[run]]\nname = \"a\"\npreset = \"countdown-bgpo\"\n[[run]]\nname = \"a\"\npreset = \"countdown-bgpo\"", "run[1].name"),
                              ("[[run]]\nname = \"a\"\npreset = \"countdown-bgpo\"", "run[0].seeds")] {
            #expect { try Self.plan(text) } throws: { error in
                guard let coded = error as? any ExitCodeProviding else { return false }
                return coded.exitCode == 64 && "\(error)".contains(named)
            }
        }
    }
}
