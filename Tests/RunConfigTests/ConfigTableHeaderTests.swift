import RunConfig
import Testing

// toml++ aborts the process on these headers unless they are refused before it reads them.

@Test func tableHeadersThatDoNotStartWithAKeyAreSyntaxErrors() throws {
    let cases: [(String, Int, Int)] = [
        ("[=a]\n", 1, 2), ("[rollout]\ntemperature = 0.6\n[ [a]]\n", 3, 3), ("[[!x]]\n", 1, 3), ("# c\n  [ = 1\n", 2, 5),
        ("[\u{01}llout]\n", 1, 2), ("a = [\n  1,\n]\n[#]\n", 4, 2),
    ]
    for (text, expectedLine, expectedColumn) in cases {
        let error = try configError { try RunConfig().applying(toml: text, source: "run.toml") }
        guard case .syntax(let source, let line, let column, _) = error else {
            Issue.record("expected a syntax error for \(text.debugDescription), got \(error)")
            continue
        }
        #expect(source == "run.toml" && line == expectedLine && column == expectedColumn, "\(text.debugDescription): \(error)")
    }
}

@Test func bracketsInsideStringsAndArraysAreNotHeaders() throws {
    let text = "[run]\noutput_dir = \"\"\"\n[ =x]\n\"\"\" # [ =y]\n[task]\nname = '[ ='\n"
    let config = try RunConfig().applying(toml: text, source: "run.toml")
    #expect(config.toml.contains("[ =x]"))
    // An override whose text is not a TOML value is taken as the string itself.
    let overridden = try RunConfig().applying(overrides: ["run.output_dir=1\n[ =x]"])
    #expect(overridden.toml.contains("[ =x]"))
}
