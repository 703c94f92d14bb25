import DLLM
import Foundation
import Tasks
import Testing
import Training

/// Prompts and reward text of an imported (BPE, chat-template) model, against d1's conventions.
@Suite struct ImportedModelPromptTests {
    let tokenizer: BPETokenizer

    init() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/HuggingFace/tokenizer")
        let config = ModelConfig(dModel: 16, nLayers: 1, nHeads: 4, nKVHeads: 2, mlpHidden: 24, vocabSize: 2048,
                                 maxSeq: 16, maskTokenID: 2044, eosTokenID: 2043, padTokenID: 2043)
        tokenizer = try BPETokenizer(directory: directory, config: config)
    }

    @Test func rewardTextSkipsSpecialTokensAsD1Decodes() throws {
        let task = CountdownTask()
        let problem = try #require(try task.testProblems().first)
        guard case let .countdown(numbers, target) = problem.data else { Issue.record("not a countdown problem"); return }
        let answer = try #require(CountdownSolver.solve(numbers: numbers, target: target))
        let body = try tokenizer.encode("<reasoning>ok</reasoning><answer>\(answer)</answer>")
        let endOfTurn = try #require(tokenizer.id(of: "<|eot_id|>"))
        let eos = tokenizer.eosTokenID
        let plain = tokenizer.decodeResponse(body + [eos, eos])
        let withTurnEnd = tokenizer.decodeResponse(body + [endOfTurn, eos, eos])
        #expect(withTurnEnd == plain)
        #expect(!withTurnEnd.contains("<|"))
        #expect(task.score(completion: withTurnEnd, problem: problem) == task.score(completion: plain, problem: problem))
        #expect(task.score(completion: withTurnEnd, problem: problem).reward == 1)
        // Nothing after the first EOS is read.
        #expect(tokenizer.decodeResponse(body + [eos] + (try tokenizer.encode("junk"))) == plain)
    }

    @Test func charTokenizerRewardTextSkipsItsSpecialTokens() throws {
        let tokenizer = CharTokenizer()
        let body = try tokenizer.encode("<answer>1+2</answer>")
        #expect(tokenizer.decodeResponse([2] + body + [1, 0, 5]) == "<answer>1+2</answer>")
    }

    @Test func bpePromptsAreD1sTaskPromptsInTheChatTemplate() throws {
        let problem = TaskProblem(id: "t", prompt: "3 4 5 -> 17\n", reference: nil, data: .countdown(numbers: [3, 4, 5], target: 17))
        let d1Countdown = "\nRespond in the following format:\n<reasoning>\n...\n</reasoning>\n<answer>\n...\n</answer>\n"
            + "\nUsing only the numbers [3, 4, 5], create an arithmetic expression that evaluates to exactly 17. "
            + "You must use all numbers from the list, and each number must be used exactly once. You may use the "
            + "operations +, -, *, and / as needed. After reasoning, provide only your final expression inside "
            + "<answer></answer> tags without including an equals sign or the target number. For example, if the "
            + "numbers are [2, 3, 4] and the target is 5, a valid answer is: <answer>\n2*4-3\n</answer>"
        #expect(InstructPrompt.text(for: problem) == d1Countdown)
        let chat = "<|startoftext|><|start_header_id|>user<|end_header_id|>\n\n"
            + d1Countdown.trimmingCharacters(in: .whitespacesAndNewlines)
            + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        let ids = try ProblemPrompt.ids(of: problem, tokenizer: tokenizer)
        #expect(ids == (try tokenizer.encode(chat)))
        #expect(ids.first == tokenizer.bosTokenID && ids.dropFirst().first { $0 == tokenizer.bosTokenID } == nil,
                "one BOS, from the template")
        // A char-level model keeps the compact prompt after its BOS.
        #expect(try ProblemPrompt.ids(of: problem, tokenizer: CharTokenizer()) == (try CharTokenizer().encodePrompt("3 4 5 -> 17\n")))
    }

    @Test func sudokuAndMathPromptsAreD1s() {
        let sudoku = TaskProblem(id: "s", prompt: "", reference: nil,
                                 data: .sudoku(puzzle: "1000000000000000", solution: "1234341221434321"))
        let text = InstructPrompt.text(for: sudoku)
        #expect(text.hasPrefix("\nPlease solve the following 4x4 Sudoku puzzle. The puzzle is provided as a 16-character "
                               + "string reading left-to-right, top-to-bottom, where '0' represents empty cells.\n\nRules:\n"))
        #expect(text.hasSuffix("</answer>\n\n\nSolve the following Sudoku puzzle: 1000000000000000\n"))
        let math = TaskProblem(id: "m", prompt: "", reference: nil, data: .math(question: "What is 2+2?", answer: "4"))
        #expect(InstructPrompt.text(for: math) == InstructPrompt.system + "\n\nWhat is 2+2?")
    }
}
