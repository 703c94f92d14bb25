/// 4x4 Sudoku grids: 16 cells row by row, digits 1...4, 0 for an empty cell.
enum SudokuGrid {
    /// For each cell, the other cells of its row, column and 2x2 box.
    static let peers: [[Int]] = (0..<16).map { cell in
        (0..<16).filter { other in
            other != cell && (other / 4 == cell / 4 || other % 4 == cell % 4
                || (other / 8 == cell / 8 && (other % 4) / 2 == (cell % 4) / 2))
        }
    }

    /// All 288 complete grids, in lexicographic order.
    static let allSolutions: [[UInt8]] = {
        var grids: [[UInt8]] = []
        var cells = [UInt8](repeating: 0, count: 16)
        fill(&cells, from: 0) { grids.append($0); return true }
        return grids
    }()

    /// The cells of a 16-character string of digits 0...4, or nil.
    static func cells(_ text: String) -> [UInt8]? {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count == 16, scalars.allSatisfy({ ("0"..."4").contains($0) }) else { return nil }
        return scalars.map { UInt8($0.value - 48) }
    }

    /// Whether `cells` is a complete grid obeying the row, column and box rules.
    static func isSolution(_ cells: [UInt8]) -> Bool {
        cells.count == 16 && (0..<16).allSatisfy { cell in
            cells[cell] != 0 && peers[cell].allSatisfy { cells[$0] != cells[cell] }
        }
    }

    /// How many completions `puzzle` has, counting no further than `limit`.
    static func countSolutions(_ puzzle: [UInt8], limit: Int) -> Int {
        var cells = puzzle
        var count = 0
        fill(&cells, from: 0) { _ in
            count += 1
            return count < limit
        }
        return count
    }

    /// Fills the empty cells from `start` on in every consistent way, calling `found` with each
    /// complete grid; `found` returns whether to continue. Returns false once stopped.
    @discardableResult
    private static func fill(_ cells: inout [UInt8], from start: Int, found: ([UInt8]) -> Bool) -> Bool {
        guard let cell = (start..<16).first(where: { cells[$0] == 0 }) else { return found(cells) }
        for digit in UInt8(1)...4 where peers[cell].allSatisfy({ cells[$0] != digit }) {
            cells[cell] = digit
            let go = fill(&cells, from: cell + 1, found: found)
            cells[cell] = 0
            if !go { return false }
        }
        return true
    }
}
