#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Fills the rotary embedding tables for absolute positions `0..<seq`.
///
/// cos, sin: [seq, headDim / 2], `angle(p, i) = p * theta^(-2i / headDim)` computed in Double.
/// The full-size tables of the rotate-half layout are these halves repeated twice.
public func rotaryTables(cos cosTable: UnsafeMutablePointer<Float>, sin sinTable: UnsafeMutablePointer<Float>,
                         seq: Int, headDim: Int, theta: Double) {
    let half = headDim / 2
    for p in 0..<seq {
        for i in 0..<half {
            let angle = Double(p) * pow(theta, -2.0 * Double(i) / Double(headDim))
            cosTable[p * half + i] = Float(cos(angle))
            sinTable[p * half + i] = Float(sin(angle))
        }
    }
}

/// Rotary position embedding, rotate-half layout: `y = x * cos + rotate_half(x) * sin` per head,
/// with `rotate_half(x) = concat(-x[half...], x[..<half])`.
///
/// x, y: [batch * seq, heads * headDim] (`y` may be `x`: the rotation is done in place);
/// cos, sin: [seq, headDim / 2] from ``rotaryTables(cos:sin:seq:headDim:theta:)``. The rows are
/// shared among `threads` threads (row by row: the same result).
public func rotaryForward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                          cos cosTable: UnsafePointer<Float>, sin sinTable: UnsafePointer<Float>,
                          batch: Int, seq: Int, heads: Int, headDim: Int, threads: Int = 1) {
    let half = headDim / 2
    nonisolated(unsafe) let (x, y) = (x, y)
    forEachRotaryLane(cos: cosTable, sin: sinTable, rows: batch * seq, seq: seq, heads: heads, headDim: headDim,
                      threads: threads) { cv, sv, i, lanes in
        let x1 = loadVector(x + i, lanes), x2 = loadVector(x + half + i, lanes)
        storeVector(x1 * cv - x2 * sv, y + i, lanes)
        storeVector(x2 * cv + x1 * sv, y + half + i, lanes)
    }
}

/// Backward of ``rotaryForward(x:y:cos:sin:batch:seq:heads:headDim:threads:)``: `dX += R^T dY`, or
/// `dX = R^T dY` when `accumulate` is false (what dX held is ignored).
///
/// dY, dX: [batch * seq, heads * headDim]; cos, sin: [seq, headDim / 2]; the rows shared among
/// `threads` threads (row by row: the same result).
public func rotaryBackward(dY: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>,
                           cos cosTable: UnsafePointer<Float>, sin sinTable: UnsafePointer<Float>,
                           batch: Int, seq: Int, heads: Int, headDim: Int, threads: Int = 1, accumulate: Bool = true) {
    let half = headDim / 2
    nonisolated(unsafe) let (dY, dX) = (dY, dX)
    forEachRotaryLane(cos: cosTable, sin: sinTable, rows: batch * seq, seq: seq, heads: heads, headDim: headDim,
                      threads: threads) { cv, sv, i, lanes in
        let g1 = loadVector(dY + i, lanes), g2 = loadVector(dY + half + i, lanes)
        let d1 = g1 * cv + g2 * sv, d2 = g2 * cv - g1 * sv
        storeVector(accumulate ? loadVector(dX + i, lanes) + d1 : d1, dX + i, lanes)
        storeVector(accumulate ? loadVector(dX + half + i, lanes) + d2 : d2, dX + half + i, lanes)
    }
}

/// Calls `body(cos, sin, i, lanes)` for every vector of the first half of every head of every row,
/// `i` the offset of its first element in the `[rows, heads * headDim]` buffer (the second half's
/// is `i + headDim / 2`) and `cos`, `sin` the row's angles for those lanes; the rows shared among
/// `threads` threads, each share's rows in order.
@inline(__always)
private func forEachRotaryLane(cos cosTable: UnsafePointer<Float>, sin sinTable: UnsafePointer<Float>, rows: Int,
                               seq: Int, heads: Int, headDim: Int, threads: Int,
                               _ body: @Sendable (FloatVector, FloatVector, Int, Int) -> Void) {
    let half = headDim / 2
    nonisolated(unsafe) let (cosTable, sinTable) = (cosTable, sinTable)
    forEachShare(of: rows, threads: threads, minimumShare: 16) { first, end in
        for row in first..<end {
            let c = cosTable + (row % seq) * half
            let s = sinTable + (row % seq) * half
            for h in 0..<heads {
                let head = (row * heads + h) * headDim
                for o in stride(from: 0, to: half, by: FloatVector.scalarCount) {
                    let lanes = min(FloatVector.scalarCount, half - o)
                    body(loadVector(c + o, lanes), loadVector(s + o, lanes), head + o, lanes)
                }
            }
        }
    }
}
