import ArgumentParser
import DLLM
import Foundation
import RunConfig
import Tasks

/// `bgpo sample`: decode completions of one prompt with a trained model.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Decode a prompt (or a task problem) with a model and print the text.",
        discussion: """
            The prompt is either --prompt TEXT (used as given, '\\n' written as a real newline or as the two \
            characters \\n) or problem --index N of the task's --split; for a problem the reward is printed too. \
            Text is printed up to the first EOS.
            """
    )

    @Option(help: "Model directory (model.json and model.safetensors).")
    var model: String

    @Option(help: "Task whose prompt format and reward to use: \(TaskRegistry.names.joined(separator: ", ")).")
    var task: String

    @Option(help: "Prompt text, as the task formats it.")
    var prompt: String?

    @Option(help: "Index of a problem of --split instead of --prompt.")
    var index: Int?

    @Option(help: "Split of --index: test or train.")
    var split: ProblemSplit = .test

    @Option(help: "Completions to draw (differ only with --temperature > 0 or random remasking).")
    var samples = 1

    @Option(help: "Seed of the rollout streams and of generated training problems.")
    var seed: UInt64 = 0

    @OptionGroup var decoding: DecodingOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var weights: InferenceWeightsOptions

    func validate() throws {
        guard (prompt == nil) != (index == nil) else { throw ValidationError("give exactly one of --prompt and --index") }
        try checkCount(samples, option: "--samples")
        if let index { try checkCount(index, option: "--index", minimum: 0, maximum: ConfigLimits.maximumCount - 1) }
    }

    func run() throws {
        try threads.apply()
        let task = try TaskRegistry.task(named: self.task)
        let (runner, tokenizer, description) = try weights.load(self.model)
        let options = try decoding.samplingOptions(metadata: description.metadata)
        var problem: TaskProblem?
        if let index {
            let problems = try split.problems(of: task, limit: index + 1, seed: seed)
            guard index >= 0, index < problems.count else {
                throw ValidationError("--index \(index) is outside the \(split.rawValue) split of \(problems.count) problems")
            }
            problem = problems[index]
        }
        let text = problem?.prompt ?? prompt!.replacingOccurrences(of: "\\n", with: "\n")
        let ids = try tokenizer.encodePrompt(text)
        let sampler = try DiffusionSampler(options: options, maskTokenID: tokenizer.maskTokenID,
                                           padTokenID: tokenizer.padTokenID, seed: seed)
        let responses = try sampler.generate(model: runner,
                                             prompts: [[Int32]](repeating: ids, count: samples),
                                             keys: (0..<samples).map { [UInt64($0)] })
        if problem != nil { print("prompt: \(text.debugDescription)") }
        for response in responses {
            let completion = tokenizer.decodeResponse(response)
            if let problem {
                let score = task.score(completion: completion, problem: problem)
                print("completion: \(completion.debugDescription)  reward: \(score.reward)")
            } else {
                print(completion)
            }
        }
    }
}
