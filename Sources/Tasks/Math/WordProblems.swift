import Base

/// Synthetic GSM8K-style arithmetic word problems (lowercase ASCII), so the math task needs no download.
enum WordProblems {
    /// A generated problem: the question, one line of worked arithmetic and the integer answer.
    struct Problem {
        var question: String
        var reasoning: String
        var answer: Int
    }

    private static let names = ["tom", "ana", "sam", "mia", "leo", "zoe", "max", "ivy", "ben", "eva", "raj", "kim"]
    private static let items = ["apples", "pencils", "stickers", "marbles", "cookies", "cards", "shells", "stamps"]

    /// One problem from one of eight templates (one- and two-step `+ - * /`), all answers >= 0.
    static func draw(_ random: inout CounterRandom) -> Problem {
        let n = random.pick(names), item = random.pick(items)
        switch random.below(8) {
        case 0:
            let a = random.draw(2...60), b = random.draw(2...60)
            return Problem(question: "\(n) has \(a) \(item). \(n) gets \(b) more \(item). how many \(item) does \(n) have now?",
                           reasoning: "\(a)+\(b)=\(a + b)", answer: a + b)
        case 1:
            let a = random.draw(10...99), b = random.draw(1...(a - 1))
            return Problem(question: "\(n) has \(a) \(item) and gives \(b) of them to a friend. how many \(item) does \(n) have left?",
                           reasoning: "\(a)-\(b)=\(a - b)", answer: a - b)
        case 2:
            let a = random.draw(2...12), b = random.draw(2...12)
            return Problem(question: "\(n) buys \(a) bags of \(item). each bag has \(b) \(item). how many \(item) does \(n) buy?",
                           reasoning: "\(a)*\(b)=\(a * b)", answer: a * b)
        case 3:
            let a = random.draw(2...12), b = random.draw(2...9)
            return Problem(question: "\(n) shares \(a * b) \(item) equally among \(b) friends. how many \(item) does each friend get?",
                           reasoning: "\(a * b)/\(b)=\(a)", answer: a)
        case 4:
            let a = random.draw(2...12), b = random.draw(2...9), c = random.draw(1...(a - 1))
            return Problem(question: "a box holds \(a) \(item). \(n) fills \(b) boxes and has \(c) \(item) left over. how many \(item) does \(n) have in total?",
                           reasoning: "\(a)*\(b)=\(a * b), \(a * b)+\(c)=\(a * b + c)", answer: a * b + c)
        case 5:
            let a = random.draw(5...20), b = random.draw(2...7), c = random.draw(1...(a * b - 1))
            return Problem(question: "\(n) earns \(a) dollars a day for \(b) days and then spends \(c) dollars. how many dollars does \(n) have left?",
                           reasoning: "\(a)*\(b)=\(a * b), \(a * b)-\(c)=\(a * b - c)", answer: a * b - c)
        case 6:
            let a = random.draw(5...40), b = random.draw(5...40), c = a + b + random.draw(1...100)
            return Problem(question: "a book has \(c) pages. \(n) reads \(a) pages on monday and \(b) pages on tuesday. how many pages are left to read?",
                           reasoning: "\(a)+\(b)=\(a + b), \(c)-\(a + b)=\(c - a - b)", answer: c - a - b)
        default:
            let a = random.draw(2...12), b = random.draw(2...12), c = random.draw(1...(a * b - 1))
            return Problem(question: "there are \(a) rows with \(b) chairs in each row. \(c) chairs are taken. how many chairs are free?",
                           reasoning: "\(a)*\(b)=\(a * b), \(a * b)-\(c)=\(a * b - c)", answer: a * b - c)
        }
    }
}
