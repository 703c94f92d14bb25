import Base
import CKernels

/// A `[outFeatures, inFeatures]` weight rounded to bfloat16 and packed for bfloat16 products
/// (AVX512_BF16): panels of 64 output columns, the two values of each pair of inputs side by side.
/// Each product rounds its input rows to bfloat16 and sums in F32 with the dot-product instruction
/// (VDPBF16PS): approximate (relative error about 2e-3 per product, against F32), for the rollout
/// forward of `rollout.compute_dtype = "bf16"`.
public final class BF16PackedMatrix: PackedMatrix {
    public let outFeatures: Int
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
        precondition(ProductPrecision.bf16.isSupported, "BF16PackedMatrix: this CPU has no AVX512_BF16")
        checkPackedShape("BF16PackedMatrix", outFeatures: outFeatures, inFeatures: inFeatures)
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        storage = .allocate(capacity: bgpo_bf16_packed_count(Int32(outFeatures), Int32(inFeatures)))
    }

    deinit { storage.deallocate() }

    /// The product with `x` rounded to bfloat16 into a buffer of this call's own (products on other
    /// threads have theirs).
    public func product(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, adding addend: ProductAddend,
                        threads: Int) {
        checkPackedRows(rows)
        guard rows > 0 else { return }
        let k = Int32(inFeatures), n = Int32(outFeatures)
        let padded = Int(bgpo_bf16_padded(k)), panels = Int32((outFeatures + Int(bgpo_bf16_panel) - 1) / Int(bgpo_bf16_panel))
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: rows * padded) { scratch in
            bgpo_bf16_convert_rows(x, Int32(rows), k, scratch.baseAddress!)
            // Each share reads and writes its own rows; the pointers are shared, not the data they write.
            nonisolated(unsafe) let a = UnsafePointer(scratch.baseAddress!), packed = UnsafePointer(storage.baseAddress!), out = y
            nonisolated(unsafe) let addend = addend
            forEachShare(of: rows, threads: threads, minimumShare: packedTileRows) { first, end in
                bgpo_bf16_gemm_panels(a + first * padded, Int32(end - first), k, packed, n, out + first * Int(n),
                                      addend.row(first, of: out, width: Int(n)), 0, panels)
            }
        }
    }
}
