/// How the likelihood passes of one mini-batch are split over the ranks.
///
/// The responses that enter the objective form one global list, ordered by prompt position in
/// the step and then by response index. Rank `r` of `W` processes the contiguous share
/// `range(of: r)` of that list; with `q = count / W` and `m = count % W`, the first `m` shares hold
/// `q + 1` items and the others `q`, so shares differ by at most one item, follow each other in
/// rank order, and together cover every item exactly once.
public struct LikelihoodShares: Sendable, Equatable {
    /// The number of items in the global list.
    public let count: Int
    /// The number of ranks sharing them.
    public let ranks: Int

    /// Creates the split of `count` items over `ranks` ranks.
    public init(count: Int, ranks: Int) {
        precondition(count >= 0, "LikelihoodShares: negative item count \(count)")
        precondition(ranks > 0, "LikelihoodShares: at least one rank, got \(ranks)")
        self.count = count
        self.ranks = ranks
    }

    /// The indices of the global list that rank `rank` processes (empty when there are fewer
    /// items than ranks and `rank` draws none).
    public func range(of rank: Int) -> Range<Int> {
        precondition((0..<ranks).contains(rank), "LikelihoodShares: rank \(rank) not in 0..<\(ranks)")
        return start(of: rank)..<start(of: rank + 1)
    }

    /// Where the share of `rank` (0...ranks) begins; `start(of: ranks) == count`.
    private func start(of rank: Int) -> Int {
        let (quotient, remainder) = count.quotientAndRemainder(dividingBy: ranks)
        return rank * quotient + min(rank, remainder)
    }
}
