import DLLM
import RunConfig
import Tasks
import Testing

/// The countdown task, its char-v1 tokenizer, and the tiny preset's configuration.
private func countdownTiny(_ overrides: [String]) throws -> (RunConfig, any RewardTask, any Tokenizer) {
    let config = try RunConfig.resolve(preset: "countdown-tiny", overrides: overrides)
    return (config, try TaskRegistry.task(named: "countdown"), try config.model.makeTokenizer())
}

@Test func vocabularyThatIsNotTheTokenizersIsAConfigurationError() throws {
    for size in [50, 200] {
        let (config, task, tokenizer) = try countdownTiny(["model.vocab_size=\(size)"])
        let error = try #require(throws: ConfigError.self) { try config.checkFits(task: task, tokenizer: tokenizer) }
        #expect(error.exitCode == 64 && error.key == "model.vocab_size", "\(error)")
        #expect(error.description.contains("(\(tokenizer.vocabSize))"), "\(error)")
    }
    let (matching, task, tokenizer) = try countdownTiny(["model.vocab_size=\(CharTokenizer().vocabSize)"])
    try matching.checkFits(task: task, tokenizer: tokenizer)
}

@Test func promptAndCompletionMustFitMaxSeqBeforeTheRun() throws {
    let (config, task, tokenizer) = try countdownTiny(["model.max_seq=40"])
    let error = try #require(throws: ConfigError.self) { try config.checkFits(task: task, tokenizer: tokenizer) }
    #expect(error.exitCode == 64 && error.key == "model.max_seq", "\(error)")
    #expect(error.description.contains("rollout.max_completion_length (32)"), "\(error)")
    let (fits, _, _) = try countdownTiny(["model.max_seq=128"])
    try fits.checkFits(task: task, tokenizer: tokenizer)
}
