import Tasks
import Testing

// Components in d1's order: xmlcount, soft format, strict format, int answer, correctness. Each row
// was worked out from d1's reward functions and checked against them (CPython 3.10).
private let cases: [(completion: String, answer: String, components: [Double])] = [
    ("<reasoning>\nr\n</reasoning>\n<answer>\n72\n</answer>\n", "72", [0.5, 0, 0.5, 0.5, 2]),
    ("<reasoning>r</reasoning> <answer>72</answer>", "72", [0, 0.5, 0, 0.5, 2]),
    // `$` also matches before a final newline; xmlcount charges 0.001 per character after the tags.
    ("<reasoning>\nr\n</reasoning>\n<answer>\n72\n</answer>\n\n", "72", [0.498, 0, 0.5, 0.5, 2]),
    ("<reasoning>\nr\n</reasoning>\n<answer>\n72\n</answer>\nthanks", "72", [0.488, 0, 0, 0.5, 2]),
    ("<reasoning>\nr\n</reasoning>\n<answer>\n72\n</answer>", "72", [0.453, 0, 0, 0.5, 2]),
    // The strict format allows one line of reasoning only.
    ("<reasoning>\na\nb\n</reasoning>\n<answer>\n72\n</answer>\n", "72", [0.5, 0, 0, 0.5, 2]),
    ("<reasoning>\nr\n</reasoning>\n<answer>\n-5\n</answer>\n", "-5", [0.5, 0, 0.5, 0, 2]),
    ("<reasoning>\nr\n</reasoning>\n<answer>\n1,000\n</answer>\n", "1000", [0.5, 0, 0.5, 0, 0]),
    ("<reasoning>\nr\n</reasoning>\n<answer>\n2.5\n</answer>\n", "2.5", [0.5, 0, 0.5, 0, 2]),
    ("<reasoning>\nr\n</reasoning>\n<answer>\n2.50\n</answer>\n", "2.5", [0.5, 0, 0.5, 0, 0]),
    // Without tags the whole completion is the extracted answer.
    ("72", "72", [0, 0, 0, 0.5, 2]),
    ("", "72", [0, 0, 0, 0, 0]),
    ("<answer>1</answer><answer>72</answer>", "72", [0, 0, 0, 0.5, 2]),
    ("<answer>72</answer> but maybe 73", "72", [0, 0, 0, 0.5, 2]),
    ("<answer> 72 ", "72", [0, 0, 0, 0.5, 2]),
    ("<answer>\u{B2}</answer>", "2", [0, 0, 0, 0.5, 0]),  // '²'.isdigit()
    ("<answer>\u{FF17}\u{FF12}</answer>", "72", [0, 0, 0, 0.5, 0]),  // full-width digits
    ("<reasoning>\n<reasoning>\nr\n</reasoning>\n<answer>\n72\n</answer>\n", "72", [0.375, 0, 0, 0.5, 2]),
    ("<reasoning>a</reasoning>\n\n<answer>b</answer>", "b", [0, 0.5, 0, 0, 2]),
    ("<reasoning>a\n</reasoning><answer>b</answer>", "b", [0, 0, 0, 0, 2]),
    ("<reasoning>a</reasoning>x</reasoning><answer>b</answer>", "b", [0, 0.5, 0, 0, 2]),
    ("<reasoning>a</reasoning></reasoning><answer>b\n</answer>", "b", [0.126, 0, 0, 0, 2]),
    ("<reasoning>\n\n</reasoning>\n<answer>\n\n</answer>\n", "", [0.5, 0, 0.5, 0, 2]),
    // Non-overlapping counts and splits: "\n</answer>\n</answer>\n" holds "\n</answer>\n" once.
    ("\n<answer>\n</answer>\n</answer>\n", "", [0.115, 0, 0, 0, 2]),
]

@Test func gsm8kRewardComponentsMatchD1() {
    for c in cases {
        let components = MathRewards.components(completion: c.completion, answer: c.answer)
        #expect(MathRewards.names.map { components[$0]! } == c.components, "\(c.completion.debugDescription)")
    }
}

@Test func gsm8kScoreSumsComponentsInOrder() {
    let task = MathTask()
    let problem = MathTask.problem(id: "p", question: "q?", answer: "work\n#### 72")
    let score = task.score(completion: "<reasoning>\nr\n</reasoning>\n<answer>\n72\n</answer>", problem: problem)
    #expect(score.reward == 2.9530000000000003)
    #expect(score.correct == 1 && score.total == 1)
    #expect(task.score(completion: "<answer>\n73\n</answer>", problem: problem).correct == 0)
    #expect(task.rewardNames == ["xmlcount_reward_func", "soft_format_reward_func", "strict_format_reward_func",
                                 "int_reward_func", "correctness_reward_func"])
}

@Test func finalAnswerFollowsExtractHashAnswer() {
    #expect(MathRewards.finalAnswer(of: "a\n#### 72") == "72")
    #expect(MathRewards.finalAnswer(of: "#### 7 #### 8") == "7")
    #expect(MathRewards.finalAnswer(of: "##### 5") == "# 5")
    #expect(MathRewards.finalAnswer(of: " 72 \n") == "72")  // a bare final answer
    #expect(MathRewards.finalAnswer(of: "####") == "")
}
