/// RMSNorm in fp32: `y = x * rsqrt(mean(x^2) + eps) * weight`, row by row.
///
/// x, y: [rows, dim]; weight: [dim]; rstd: [rows] receives `rsqrt(mean(x^2) + eps)` for the backward.
/// The rows are shared among `threads` threads (row by row: the same result).
public func rmsnormForward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                           rstd: UnsafeMutablePointer<Float>, rows: Int, dim: Int, eps: Float, threads: Int = 1) {
    nonisolated(unsafe) let (x, weight, y, rstd) = (x, weight, y, rstd)
    forEachShare(of: rows, threads: threads, minimumShare: 16) { first, end in
        for r in first..<end {
            let xr = x + r * dim
            let yr = y + r * dim
            let s = 1 / (dot(xr, xr, dim) / Float(dim) + eps).squareRoot()
            rstd[r] = s
            for o in stride(from: 0, to: dim, by: FloatVector.scalarCount) {
                let lanes = min(FloatVector.scalarCount, dim - o)
                storeVector(loadVector(xr + o, lanes) * s * loadVector(weight + o, lanes), yr + o, lanes)
            }
        }
    }
}

/// Backward of ``rmsnormForward(x:weight:y:rstd:rows:dim:eps:)``.
///
/// `dX += rstd * (dY * w) - x * rstd^3 * mean(dY * w * x)` and `dWeight += sum over rows of dY * x * rstd`
/// (no weight gradient when `dWeight` is nil: a frozen weight).
/// x, dY, dX: [rows, dim]; weight, dWeight: [dim]; rstd: [rows] from the forward.
public func rmsnormBackward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                            dY: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>?,
                            rows: Int, dim: Int) {
    for r in 0..<rows {
        let xr = x + r * dim
        let gr = dY + r * dim
        let dxr = dX + r * dim
        let s = rstd[r]
        var acc = FloatVector()
        for o in stride(from: 0, to: dim, by: FloatVector.scalarCount) {
            let lanes = min(FloatVector.scalarCount, dim - o)
            let xv = loadVector(xr + o, lanes)
            let gv = loadVector(gr + o, lanes)
            acc += gv * loadVector(weight + o, lanes) * xv
            if let dWeight { storeVector(loadVector(dWeight + o, lanes) + gv * xv * s, dWeight + o, lanes) }
        }
        let c = acc.sum() * s * s * s / Float(dim)
        for o in stride(from: 0, to: dim, by: FloatVector.scalarCount) {
            let lanes = min(FloatVector.scalarCount, dim - o)
            let dx = loadVector(gr + o, lanes) * loadVector(weight + o, lanes) * s - loadVector(xr + o, lanes) * c
            storeVector(loadVector(dxr + o, lanes) + dx, dxr + o, lanes)
        }
    }
}
