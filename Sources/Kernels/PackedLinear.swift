import Base

/// The precision of the products of a weight packed once for many products (the rollout forward).
public enum ProductPrecision: String, Sendable, CaseIterable {
    /// F32 inputs, F32 fused multiply-adds: the products of OpenBLAS's sgemm, summed in another
    /// order (``F32PackedMatrix``; AVX-512).
    case f32
    /// Inputs rounded to bfloat16, F32 sums: approximate (``BF16PackedMatrix``; AVX512_BF16).
    case bf16

    /// Whether this CPU runs packed products of this precision: AVX-512 for `f32`, AVX512_BF16
    /// for `bf16`.
    public var isSupported: Bool {
        switch self {
        case .f32: KernelPath.avx512.isSupported
        case .bf16: CPUInfo.current.hasAVX512BF16
        }
    }
}

/// A `[outFeatures, inFeatures]` weight (PyTorch layout) packed once for the products of a linear
/// layer without bias, `y = x W^T`, in panels of output columns.
public protocol PackedMatrix: AnyObject {
    /// Rows of the weight: the product's output width.
    var outFeatures: Int { get }
    /// Columns of the weight: the product's input width.
    var inFeatures: Int { get }
    /// `y = addend + x W^T`, the rows shared among `threads` threads (each row's result is the
    /// same whatever their number).
    ///
    /// x: [rows, inFeatures]; y: [rows, outFeatures].
    func product(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int, adding addend: ProductAddend,
                 threads: Int)
}

/// What a packed product adds `x W^T` to, in the same pass over its output.
public enum ProductAddend {
    /// Nothing: `y = x W^T`.
    case none
    /// The output itself: `y += x W^T`.
    case output
    /// Another matrix of the output's shape, `[rows, outFeatures]` (a residual stream): `y = r + x W^T`.
    case matrix(UnsafePointer<Float>)

    /// `.output` when `accumulate`, else `.none`.
    public init(accumulate: Bool) {
        self = accumulate ? .output : .none
    }

    /// The addend's row `row` of an output `y` `width` wide (nil for `.none`), as the kernels take it.
    func row(_ row: Int, of y: UnsafeMutablePointer<Float>, width: Int) -> UnsafePointer<Float>? {
        switch self {
        case .none: nil
        case .output: UnsafePointer(y + row * width)
        case .matrix(let r): r + row * width
        }
    }
}

/// Rows of one tile of the packed kernels (CKernels's `tiles.h`): the least a thread's share of a
/// product's rows is worth giving it.
public let packedTileRows = 6

/// Checks a packed weight's shape: both sizes in 1...Int32.max (the kernels' integer width).
func checkPackedShape(_ type: String, outFeatures: Int, inFeatures: Int) {
    precondition(outFeatures > 0 && inFeatures > 0 && outFeatures <= Int(Int32.max) && inFeatures <= Int(Int32.max),
                 "\(type): shape [\(outFeatures), \(inFeatures)] outside 1...\(Int32.max)")
}

/// Checks a product's row count: 0...Int32.max.
func checkPackedRows(_ rows: Int) {
    precondition(rows >= 0 && rows <= Int(Int32.max), "packed product: \(rows) rows outside 0...\(Int32.max)")
}
