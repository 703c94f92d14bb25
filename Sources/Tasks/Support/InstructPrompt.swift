/// d1's task prompts for instruct models (d1's `diffu-grpo/data_utils.py`, commit 837888f, Apache
/// License 2.0, see `Datasets/LICENSE-d1-Apache-2.0.txt`): the user message a model with a chat
/// template receives, instead of the compact ``TaskProblem/prompt`` of the char-level models.
///
/// They are d1's training prompts; the trainer and the evaluator both use them, so that the reward
/// functions (d1's training rewards) judge the format the prompt asks for.
public enum InstructPrompt {
    /// d1's `SYSTEM_PROMPT`: the `<reasoning>`/`<answer>` format.
    public static let system = """

        Respond in the following format:
        <reasoning>
        ...
        </reasoning>
        <answer>
        ...
        </answer>

        """

    /// d1's `SUDOKU_SYSTEM_PROMPT`.
    public static let sudokuSystem = """

        Please solve the following 4x4 Sudoku puzzle. The puzzle is provided as a 16-character string \
        reading left-to-right, top-to-bottom, where '0' represents empty cells.

        Rules:
        - Fill empty cells with digits 1-4
        - Each row must contain digits 1-4 exactly once
        - Each column must contain digits 1-4 exactly once
        - Each 2x2 box must contain digits 1-4 exactly once

        Important: Your solution must be a COMPLETE 16-character string with only the digits 1-4, \
        representing your final solved grid.

        Respond in this exact format:
        <reasoning>
        Your step-by-step solving process
        </reasoning>
        <answer>
        [16-character solution string with no spaces or separators]
        </answer>

        """

    /// The user message of `problem` as d1 writes it: countdown and sudoku with their d1 prompts,
    /// a GSM8K question after the system prompt; a code problem (no d1 prompt) as its own prompt.
    public static func text(for problem: TaskProblem) -> String {
        switch problem.data {
        case let .countdown(numbers, target):
            let list = "[" + numbers.map(String.init).joined(separator: ", ") + "]"
            return system + "\nUsing only the numbers \(list), create an arithmetic expression that evaluates to "
                + "exactly \(target). You must use all numbers from the list, and each number must be used exactly "
                + "once. You may use the operations +, -, *, and / as needed. After reasoning, provide only your "
                + "final expression inside <answer></answer> tags without including an equals sign or the target "
                + "number. For example, if the numbers are [2, 3, 4] and the target is 5, a valid answer is: "
                + "<answer>\n2*4-3\n</answer>"
        case let .sudoku(puzzle, _):
            return sudokuSystem + "\n\nSolve the following Sudoku puzzle: \(puzzle)\n"
        case let .math(question, _):
            return system + "\n\n" + question
        case .code:
            return problem.prompt
        }
    }
}
