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
    nonisolated(unsafe) let (x, y, cosTable, sinTable) = (x, y, cosTable, sinTable)
    forEachShare(of: batch * seq, threads: threads, minimumShare: 16) { first, end in
        for row in first..<end {
            let c = cosTable + (row % seq) * half
            let s = sinTable + (row % seq) * half
            for h in 0..<heads {
                let xh = x + (row * heads + h) * headDim
                let yh = y + (row * heads + h) * headDim
                for o in stride(from: 0, to: half, by: FloatVector.scalarCount) {
                    let lanes = min(FloatVector.scalarCount, half - o)
                    let cv = loadVector(c + o, lanes), sv = loadVector(s + o, lanes)
                    let x1 = loadVector(xh + o, lanes), x2 = loadVector(xh + half + o, lanes)
                    storeVector(x1 * cv - x2 * sv, yh + o, lanes)
                    storeVector(x2 * cv + x1 * sv, yh + half + o, lanes)
                }
            }
        }
    }
}

/// Backward of ``rotaryForward(x:y:cos:sin:batch:seq:heads:headDim:)``: `dX += R^T dY`.
///
/// dY, dX: [batch * seq, heads * headDim]; cos, sin: [seq, headDim / 2]; the rows shared among
/// `threads` threads (row by row: the same result).
public func rotaryBackward(dY: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>,
                           cos cosTable: UnsafePointer<Float>, sin sinTable: UnsafePointer<Float>,
                           batch: Int, seq: Int, heads: Int, headDim: Int, threads: Int = 1) {
    let half = headDim / 2
    nonisolated(unsafe) let (dY, dX, cosTable, sinTable) = (dY, dX, cosTable, sinTable)
    forEachShare(of: batch * seq, threads: threads, minimumShare: 16) { first, end in
        for row in first..<end {
            let c = cosTable + (row % seq) * half
            let s = sinTable + (row % seq) * half
            for h in 0..<heads {
                let gh = dY + (row * heads + h) * headDim
                let dh = dX + (row * heads + h) * headDim
                for o in stride(from: 0, to: half, by: FloatVector.scalarCount) {
                    let lanes = min(FloatVector.scalarCount, half - o)
                    let cv = loadVector(c + o, lanes), sv = loadVector(s + o, lanes)
                    let g1 = loadVector(gh + o, lanes), g2 = loadVector(gh + half + o, lanes)
                    storeVector(loadVector(dh + o, lanes) + g1 * cv + g2 * sv, dh + o, lanes)
                    storeVector(loadVector(dh + half + o, lanes) + g2 * cv - g1 * sv, dh + half + o, lanes)
                }
            }
        }
    }
}
