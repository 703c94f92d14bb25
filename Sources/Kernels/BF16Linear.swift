import Base
import CBF16GEMM
import Dispatch

/// Bfloat16 matrix products: inputs rounded to bfloat16, products summed in F32 by the
/// AVX512_BF16 dot-product instruction, F32 results. Approximate (relative error about 2e-3 per
/// product, against F32), for the rollout forward of `rollout.compute_dtype = "bf16"`.
public enum BF16Products {
    /// Whether this CPU runs them (AVX-512 with AVX512_BF16: Cooper Lake, Sapphire Rapids and later
    /// Xeons, Zen 4 and later).
    public static var isSupported: Bool { CPUInfo.current.hasAVX512BF16 }
}

/// A `[outFeatures, inFeatures]` weight (PyTorch layout) rounded to bfloat16 and packed for
/// ``bf16LinearForward(x:weight:y:rows:accumulate:scratch:)``: panels of 64 output columns, the two
/// values of each pair of inputs side by side.
public final class BF16PackedMatrix {
    /// Rows of the weight: the product's output width.
    public let outFeatures: Int
    /// Columns of the weight: the product's input width.
    public let inFeatures: Int
    private let storage: UnsafeMutableBufferPointer<UInt16>

    /// Packs the F32 weight at `weight` ([outFeatures, inFeatures]), rounding to the nearest even bfloat16.
    public convenience init(f32 weight: UnsafePointer<Float>, outFeatures: Int, inFeatures: Int) {
        self.init(outFeatures: outFeatures, inFeatures: inFeatures)
        bgpo_bf16_pack_f32(weight, Int32(outFeatures), Int32(inFeatures), storage.baseAddress!)
    }

    /// Packs the bfloat16 weight at `weight` ([outFeatures, inFeatures]) as it is.
    public convenience init(bf16 weight: UnsafePointer<UInt16>, outFeatures: Int, inFeatures: Int) {
        self.init(outFeatures: outFeatures, inFeatures: inFeatures)
        bgpo_bf16_pack_bf16(weight, Int32(outFeatures), Int32(inFeatures), storage.baseAddress!)
    }

    private init(outFeatures: Int, inFeatures: Int) {
        precondition(BF16Products.isSupported, "BF16PackedMatrix: this CPU has no AVX512_BF16")
        precondition(outFeatures > 0 && inFeatures > 0 && outFeatures <= Int(Int32.max) && inFeatures <= Int(Int32.max),
                     "BF16PackedMatrix: shape [\(outFeatures), \(inFeatures)] outside 1...\(Int32.max)")
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        storage = .allocate(capacity: bgpo_bf16_packed_count(Int32(outFeatures), Int32(inFeatures)))
    }

    deinit { storage.deallocate() }

    /// Output-column panels of 64.
    var panels: Int { (outFeatures + Int(bgpo_bf16_panel) - 1) / Int(bgpo_bf16_panel) }

    /// The packed values.
    var packed: UnsafePointer<UInt16> { UnsafePointer(storage.baseAddress!) }

    /// Elements of the bfloat16 scratch ``bf16LinearForward(x:weight:y:rows:accumulate:scratch:)``
    /// needs for `rows` input rows of `inFeatures`.
    public static func scratchCount(rows: Int, inFeatures: Int) -> Int {
        rows * Int(bgpo_bf16_padded(Int32(inFeatures)))
    }
}

/// A bias-free linear layer in bfloat16: `y = x W^T`, or `y += x W^T` when `accumulate`, with x
/// rounded to bfloat16 into `scratch` (``BF16PackedMatrix/scratchCount(rows:inFeatures:)`` elements).
/// With more than one BLAS thread (``BLAS/threads``) the output panels are shared among that many threads.
///
/// x: [rows, inFeatures]; weight: [outFeatures, inFeatures] packed; y: [rows, outFeatures].
public func bf16LinearForward(x: UnsafePointer<Float>, weight: BF16PackedMatrix, y: UnsafeMutablePointer<Float>,
                              rows: Int, accumulate: Bool, scratch: UnsafeMutablePointer<UInt16>) {
    precondition(rows >= 0 && rows <= Int(Int32.max), "bf16LinearForward: \(rows) rows outside 0...\(Int32.max)")
    guard rows > 0 else { return }
    let m = Int32(rows), k = Int32(weight.inFeatures), n = Int32(weight.outFeatures)
    bgpo_bf16_convert_rows(x, m, k, scratch)
    let panels = weight.panels, threads = min(BLAS.threads, panels)
    // Each thread writes its own panels' columns of y; the pointers are shared, not the data they write.
    nonisolated(unsafe) let a = UnsafePointer(scratch), packed = weight.packed, out = y
    if threads <= 1 {
        bgpo_bf16_gemm_panels(a, m, k, packed, n, y, accumulate ? 1 : 0, 0, Int32(panels))
        return
    }
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        let first = panels * t / threads, end = panels * (t + 1) / threads
        bgpo_bf16_gemm_panels(a, m, k, packed, n, out, accumulate ? 1 : 0, Int32(first), Int32(end))
    }
}
