import Cluster
import Testing

/// A list of work items (a mini-batch's likelihood passes, a supervised step's examples) is split
/// into contiguous, nearly equal shares that cover the list once, in order.
@Suite struct RankSharesTests {
    @Test(arguments: 1...9)
    func sharesAreBalancedAndCoverEveryItemOnceInOrder(ranks: Int) {
        for count in 0...100 {
            let shares = RankShares(count: count, ranks: ranks)
            let ranges = (0..<ranks).map { shares.range(of: $0) }
            // Concatenated in rank order, the shares are exactly 0..<count.
            #expect(ranges.flatMap { Array($0) } == Array(0..<count), "count \(count), ranks \(ranks)")
            let sizes = ranges.map(\.count)
            #expect(sizes.max()! - sizes.min()! <= 1, "count \(count), ranks \(ranks): sizes \(sizes)")
            // The larger shares come first.
            #expect(sizes == sizes.sorted(by: >), "count \(count), ranks \(ranks): sizes \(sizes)")
        }
    }

    @Test func sevenItemsOverThreeRanks() {
        let shares = RankShares(count: 7, ranks: 3)
        #expect((0..<3).map { shares.range(of: $0) } == [0..<3, 3..<5, 5..<7])
    }

    @Test func fewerItemsThanRanksLeaveTheLastRanksEmpty() {
        let shares = RankShares(count: 2, ranks: 4)
        #expect((0..<4).map { shares.range(of: $0) } == [0..<1, 1..<2, 2..<2, 2..<2])
    }

    @Test func oneRankTakesEverything() {
        #expect(RankShares(count: 13, ranks: 1).range(of: 0) == 0..<13)
    }
}
