import Base

/// Which implementation a kernel with an AVX-512 variant runs: the portable one (Swift vectors,
/// OpenBLAS's sgemm) or bgpo's AVX-512 C kernels (`CKernels`). Both compute the same formula in
/// F32; they sum and round in different orders, so their results differ in the last bits.
public enum KernelPath: Sendable, CaseIterable, CustomStringConvertible {
    /// Swift vectors and OpenBLAS: any CPU.
    case portable
    /// `CKernels`: CPUs that run AVX-512.
    case avx512

    /// The fastest path this CPU runs: `avx512` where it has AVX-512.
    public static var best: KernelPath { avx512.isSupported ? .avx512 : .portable }

    /// Every path this CPU runs.
    public static var available: [KernelPath] { allCases.filter(\.isSupported) }

    /// Whether this CPU runs the path.
    public var isSupported: Bool {
        switch self {
        case .portable: true
        case .avx512: CPUInfo.current.instructionSet >= .avx512
        }
    }

    public var description: String {
        switch self {
        case .portable: "portable"
        case .avx512: "avx512"
        }
    }
}
