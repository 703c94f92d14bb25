import Base
import CKernels

/// A `[outFeatures, inFeatures]` weight packed for F32 products (AVX-512): panels of 64 output
/// columns, each input's 64 values side by side, 64-byte aligned. The products are OpenBLAS's
/// (F32 fused multiply-adds) without packing the weight at every call; their sums run in another
/// order, so they differ from sgemm's in the last bits.
public final class F32PackedMatrix: PackedMatrix {
    public let outFeatures: Int
    public let inFeatures: Int
    private let storage: UnsafeMutableRawPointer

    /// Packs the weight at `weight` ([outFeatures, inFeatures]). Needs ``ProductPrecision/f32``'s
    /// ``ProductPrecision/isSupported``.
    public convenience init(weight: UnsafePointer<Float>, outFeatures: Int, inFeatures: Int) {
        self.init(outFeatures: outFeatures, inFeatures: inFeatures)
        bgpo_f32_pack(weight, Int32(outFeatures), Int32(inFeatures), inFeatures, storage.assumingMemoryBound(to: Float.self))
    }

    /// Packs the transpose of the weight at `weight` ([inFeatures, outFeatures]): the products are
    /// `y = x W` with W as stored (a linear layer's input gradient `dX = dY W`). Needs
    /// ``ProductPrecision/f32``'s ``ProductPrecision/isSupported``.
    public convenience init(transposeOf weight: UnsafePointer<Float>, outFeatures: Int, inFeatures: Int) {
        self.init(outFeatures: outFeatures, inFeatures: inFeatures)
        bgpo_f32_pack_transposed(weight, Int32(outFeatures), Int32(inFeatures), outFeatures, storage.assumingMemoryBound(to: Float.self))
    }

    private init(outFeatures: Int, inFeatures: Int) {
        precondition(ProductPrecision.f32.isSupported, "F32PackedMatrix: this CPU has no AVX-512")
        checkPackedShape("F32PackedMatrix", outFeatures: outFeatures, inFeatures: inFeatures)
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        let count = bgpo_f32_packed_count(Int32(outFeatures), Int32(inFeatures))
        storage = .allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
    }

    deinit { storage.deallocate() }

    public func product(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, adding addend: ProductAddend,
                        threads: Int) {
        checkPackedRows(rows)
        guard rows > 0 else { return }
        let k = Int32(inFeatures), n = Int32(outFeatures), width = inFeatures
        let panels = Int32((outFeatures + Int(bgpo_f32_panel) - 1) / Int(bgpo_f32_panel))
        // Each share reads and writes its own rows; the pointers are shared, not the data they write.
        nonisolated(unsafe) let a = x, packed = UnsafePointer(storage.assumingMemoryBound(to: Float.self)), out = y
        nonisolated(unsafe) let addend = addend
        forEachShare(of: rows, threads: threads, minimumShare: packedTileRows) { first, end in
            bgpo_f32_gemm_panels(a + first * width, Int32(end - first), k, packed, n, out + first * Int(n),
                                 addend.row(first, of: out, width: Int(n)), 0, panels)
        }
    }
}
