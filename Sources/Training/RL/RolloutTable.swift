import Cluster

/// Every prompt's responses and advantages of one RL step, gathered from all ranks so that any
/// rank can run the likelihood passes of any response (see ``RankShares``).
///
/// Layout: `values: [promptsPerStep, generations, 1 + length]`, per response its advantage then its
/// `length` tokens, all as `Double` (token ids and advantages are exact there). Each rank fills
/// the slots of the prompts it rolled out and leaves the others zero; one all-reduce (sum) then
/// gives every rank the whole table, exactly, whatever the world size (adding zeros is exact).
/// Prompts are not stored: their tokens follow from the prompt position (see `RLTrainer`).
struct RolloutTable {
    /// Responses per prompt (G).
    let generations: Int
    /// Tokens per response (`max_completion_length`).
    let length: Int
    private var values: [Double]

    /// An all-zero table for `promptsPerStep` prompts of `generations` responses of `length` tokens.
    init(promptsPerStep: Int, generations: Int, length: Int) {
        self.generations = generations
        self.length = length
        values = [Double](repeating: 0, count: promptsPerStep * generations * (1 + length))
    }

    /// Writes the responses and advantages of the prompt at `position`.
    mutating func fill(position: Int, responses: [[Int32]], advantages: [Double]) {
        precondition(responses.count == generations && advantages.count == generations,
                     "RolloutTable: \(responses.count) responses and \(advantages.count) advantages, expected \(generations)")
        for (g, response) in responses.enumerated() {
            precondition(response.count == length, "RolloutTable: a response of \(response.count) tokens, expected \(length)")
            let base = slot(position: position, response: g)
            values[base] = advantages[g]
            for (i, token) in response.enumerated() { values[base + 1 + i] = Double(token) }
        }
    }

    /// Sums the table over all ranks: afterwards every rank holds every prompt's slots.
    mutating func gather(over communicator: any Communicator) throws {
        values = try communicator.allReduceSum(scalars: values)
    }

    /// The advantage of response `response` of the prompt at `position`.
    func advantage(position: Int, response: Int) -> Double {
        values[slot(position: position, response: response)]
    }

    /// The tokens of response `response` of the prompt at `position`.
    func tokens(position: Int, response: Int) -> [Int32] {
        let base = slot(position: position, response: response) + 1
        return values[base..<(base + length)].map { Int32($0) }
    }

    private func slot(position: Int, response: Int) -> Int {
        (position * generations + response) * (1 + length)
    }
}
