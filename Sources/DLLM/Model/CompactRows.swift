/// Copies rows `b * seq + positions` of `source` to rows `b * positions.count ..< (b + 1) * positions.count`
/// of `destination`, for every sequence b: the selected positions of every sequence, compacted.
///
/// source: [batch * seq, width]; destination: [batch * positions.count, width].
func gatherRows<T>(_ source: UnsafePointer<T>, into destination: UnsafeMutablePointer<T>,
                   batch: Int, seq: Int, positions: Range<Int>, width: Int) {
    let r = positions.count
    for b in 0..<batch {
        (destination + b * r * width).update(from: source + (b * seq + positions.lowerBound) * width, count: r * width)
    }
}

/// The inverse of ``gatherRows(_:into:batch:seq:positions:width:)``: rows `b * positions.count ..<
/// (b + 1) * positions.count` of `source` to rows `b * seq + positions` of `destination`.
///
/// source: [batch * positions.count, width]; destination: [batch * seq, width], a separate buffer.
func scatterRows(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
                 batch: Int, seq: Int, positions: Range<Int>, width: Int) {
    let r = positions.count
    for b in 0..<batch {
        (destination + (b * seq + positions.lowerBound) * width).update(from: source + b * r * width, count: r * width)
    }
}

/// Moves the compact logits of the selected positions, rows `0 ..< batch * positions.count` of
/// `logits`, to their places `b * seq + positions` in the same buffer.
///
/// Each sequence's rows move with memmove, the last sequence first: a place never starts before the
/// sequence's compact rows, nor before the end of the compact rows of the sequences still to move.
/// logits: [batch * seq, vocab].
func placeCompactLogits(_ logits: UnsafeMutablePointer<Float>, batch: Int, seq: Int, positions: Range<Int>, vocab: Int) {
    let r = positions.count
    for b in stride(from: batch - 1, through: 0, by: -1) {
        UnsafeMutableRawPointer(logits + (b * seq + positions.lowerBound) * vocab)
            .copyMemory(from: logits + b * r * vocab, byteCount: r * vocab * MemoryLayout<Float>.stride)
    }
}
