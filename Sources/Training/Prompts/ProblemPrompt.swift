import DLLM
import Tasks

/// The prompt ids of a task problem, as the trainer and the evaluator feed them to the model.
public enum ProblemPrompt {
    /// A char-level model's prompt: BOS and the problem's compact prompt. A model with a BPE
    /// tokenizer (an imported instruct model): d1's task prompt (``Tasks/InstructPrompt``) in
    /// LLaDA's chat template (``DLLM/ChatTemplate/llada(prompt:)``, which brings its own BOS), as
    /// d1 applies the chat template to its prompts.
    public static func ids(of problem: TaskProblem, tokenizer: any Tokenizer) throws -> [Int32] {
        if tokenizer is BPETokenizer {
            return try tokenizer.encode(ChatTemplate.llada(prompt: InstructPrompt.text(for: problem)))
        }
        return try tokenizer.encodePrompt(problem.prompt)
    }
}
