import Tasks
import Testing

// Every expected value below was worked out by hand from d1's `compute_score` and checked against it
// (CPython 3.10).

private let n = [30, 100, 93]

private func reward(_ completion: String, _ numbers: [Int] = n, _ target: Int = 23) -> Double {
    CountdownTask.reward(completion: completion, numbers: numbers, target: target)
}

@Test func answerBlocksDecideWhatIsJudged() {
    #expect(reward("<answer>30+93-100</answer>") == 1.0)
    #expect(reward("30+93-100") == 0)
    #expect(reward("<answer>30+93-100") == 0)
    #expect(reward("</answer><answer>30+93-100") == 0)
    #expect(reward("<ANSWER>30+93-100</ANSWER>") == 0)
    #expect(reward("<answer>30+93-100</answer> is my answer") == 1.0)
    #expect(reward("<answer>1+2</answer> no, <answer>30+93-100</answer>") == 1.0)
    #expect(reward("<answer>30+93-100</answer><answer>1+2</answer>") == 0.1)
    // The first <answer> opens the match, so the content includes the inner tag.
    #expect(reward("<answer>x<answer>30+93-100</answer>") == 0.1)
    #expect(reward("<answer></answer>") == 0.1)
    #expect(reward("<answer>  \n </answer>") == 0.1)
    #expect(reward("<answer>\n 30 + 93 - 100 \n</answer>") == 1.0)
}

@Test func numbersMustBeTheGivenMultiset() {
    #expect(reward("<answer>30+93-100=23</answer>") == 0.1)
    #expect(reward("<answer>30+93-100+0</answer>") == 0.1)
    #expect(reward("<answer>(100-93)*30/30</answer>") == 0.1)
    #expect(reward("<answer>90-90+43</answer>", [90, 43, 90], 43) == 1.0)
    #expect(reward("<answer>90-43+43</answer>", [90, 43, 90], 43) == 0.1)
    #expect(reward("<answer>30+93-100</answer>", n, 24) == 0.1)
    #expect(reward("<answer>100-(93-30)</answer>", n, 37) == 1.0)
}

@Test func pythonOperatorsUnderTheRegex() {
    #expect(reward("<answer>2**3*1</answer>", [2, 3, 1], 8) == 1.0)
    #expect(reward("<answer>7//2*1</answer>", [7, 2, 1], 3) == 1.0)
    #expect(reward("<answer>7/2*1</answer>", [7, 2, 1], 3) == 0.1)
    #expect(reward("<answer>1/49*49</answer>", [1, 49, 49], 1) == 1.0)  // 0.9999999999999999, within 1e-5
    #expect(reward("<answer>3/5*5</answer>", [3, 5, 5], 3) == 1.0)
    #expect(reward("<answer>5/(3-3)</answer>", [5, 3, 3], 5) == 0.1)
    #expect(reward("<answer>5//(3-3)</answer>", [5, 3, 3], 5) == 0.1)
    #expect(reward("<answer>-5+3+2</answer>", [5, 3, 2], 0) == 1.0)
    #expect(reward("<answer>-5-3-2</answer>", [5, 3, 2], -10) == 1.0)
    #expect(reward("<answer>-2**2+8+0</answer>", [2, 2, 8, 0], 4) == 1.0)
    #expect(reward("<answer>2(3)+1</answer>", [2, 3, 1], 7) == 0.1)
    #expect(reward("<answer>2^3</answer>", [2, 3], 8) == 0.1)
    #expect(reward("<answer>1**100**100</answer>", [1, 100, 100], 1) == 1.0)
    #expect(reward("<answer>2**100**100</answer>", [2, 100, 100], 1) == 0.1)
    #expect(reward("<answer>(-8)**(1/3)</answer>", [8, 1, 3], 2) == 0.1)
    #expect(reward("<answer>30+93-100+...</answer>") == 0.1)
}

@Test func decimalsAndLeadingZeros() {
    // Digit runs of a decimal count as numbers: 1.5 uses 1 and 5.
    #expect(reward("<answer>1.5*2</answer>", [1, 5, 2], 3) == 1.0)
    #expect(reward("<answer>30.0+93-100</answer>") == 0.1)
    #expect(reward("<answer>5.+3+2</answer>", [5, 3, 2], 10) == 1.0)
    // int("05") == 5 passes the number check, but 05 is a SyntaxError.
    #expect(reward("<answer>05+3+2</answer>", [5, 3, 2], 10) == 0.1)
}

@Test func whitespaceAndUnicode() {
    #expect(reward("<answer>30+93\n-100</answer>") == 0.1)
    #expect(reward("<answer>(30+93\n-100)</answer>") == 1.0)
    #expect(reward("<answer>(30+93\r-100)</answer>") == 1.0)
    #expect(reward("<answer>30\t+93\u{0C}-100</answer>") == 1.0)
    #expect(reward("<answer>30+93\u{0B}-100</answer>") == 0.1)
    #expect(reward("<answer>30+93\u{2212}100</answer>") == 0.1)  // MINUS SIGN
    #expect(reward("<answer>\u{663}\u{660}+93-100</answer>") == 0.1)  // Arabic-Indic 30
    #expect(reward("<answer>\u{A0}30+93-100\u{A0}</answer>") == 1.0)  // stripped
    #expect(reward("<answer>30+\u{A0}93-100</answer>") == 0.1)  // inside: SyntaxError
    #expect(reward("<answer>30+93-100 apples</answer>") == 0.1)
    #expect(reward("<answer>30+93-10\u{301}0</answer>") == 0.1)  // combining accent
}

@Test func scoreCountsOnlyFullRewardAsCorrect() {
    let task = CountdownTask()
    let problem = CountdownTask.problem(id: "p", numbers: n, target: 23)
    let right = task.score(completion: "<answer>30+93-100</answer>", problem: problem)
    #expect(right == TaskScore(reward: 1, components: ["countdown_reward_func": 1], correct: 1, total: 1))
    let wrong = task.score(completion: "<answer>30+93</answer>", problem: problem)
    #expect(wrong == TaskScore(reward: 0.1, components: ["countdown_reward_func": 0.1], correct: 0, total: 1))
    #expect(task.rewardNames == ["countdown_reward_func"])
}
