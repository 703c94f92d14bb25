/// How a global list of work items is split over the ranks.
///
/// Rank `r` of `W` processes the contiguous share `range(of: r)` of the list; with `q = count / W`
/// and `m = count % W`, the first `m` shares hold `q + 1` items and the others `q`, so shares differ
/// by at most one item, follow each other in rank order, and together cover every item exactly once.
///
/// The RL trainer splits each mini-batch's likelihood passes this way (the responses that enter the
/// objective, ordered by prompt position in the step and then by response index); the supervised
/// trainer splits each step's examples.
public struct RankShares: Sendable, Equatable {
    /// The number of items in the global list.
    public let count: Int
    /// The number of ranks sharing them.
    public let ranks: Int

    /// Creates the split of `count` items over `ranks` ranks.
    public init(count: Int, ranks: Int) {
        precondition(count >= 0, "RankShares: negative item count \(count)")
        precondition(ranks > 0, "RankShares: at least one rank, got \(ranks)")
        self.count = count
        self.ranks = ranks
    }

    /// The indices of the global list that rank `rank` processes (empty when there are fewer
    /// items than ranks and `rank` draws none).
    public func range(of rank: Int) -> Range<Int> {
        precondition((0..<ranks).contains(rank), "RankShares: rank \(rank) not in 0..<\(ranks)")
        return start(of: rank)..<start(of: rank + 1)
    }

    /// Where the share of `rank` (0...ranks) begins; `start(of: ranks) == count`.
    private func start(of rank: Int) -> Int {
        let (quotient, remainder) = count.quotientAndRemainder(dividingBy: ranks)
        return rank * quotient + min(rank, remainder)
    }
}
