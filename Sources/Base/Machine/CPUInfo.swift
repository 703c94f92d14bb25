import CCPUID

/// The CPU this process runs on: its name and the vector instruction sets it (and the operating
/// system) can run.
public struct CPUInfo: Sendable, Equatable {
    /// Vector instruction-set levels, each including the ones below.
    public enum InstructionSet: Int, Sendable, Comparable, CustomStringConvertible {
        /// SSE2/SSE3 only.
        case baseline = 0
        /// AVX.
        case avx = 1
        /// AVX2 and FMA.
        case avx2 = 2
        /// AVX-512 F, CD, BW, DQ and VL.
        case avx512 = 3

        /// `baseline`, `AVX`, `AVX2`, `AVX-512`.
        public var description: String {
            switch self {
            case .baseline: "baseline"
            case .avx: "AVX"
            case .avx2: "AVX2"
            case .avx512: "AVX-512"
            }
        }

        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    /// The brand string, for example "Intel(R) Xeon(R) Processor" ("unknown CPU" if it has none).
    public var model: String
    /// The highest instruction-set level it runs.
    public var instructionSet: InstructionSet
    /// Whether it has the AVX512_BF16 dot products.
    public var hasAVX512BF16: Bool

    /// A CPU described by hand (the tests' hypothetical machines).
    public init(model: String, instructionSet: InstructionSet, hasAVX512BF16: Bool) {
        self.model = model
        self.instructionSet = instructionSet
        self.hasAVX512BF16 = hasAVX512BF16
    }

    /// This machine's CPU.
    public static let current: CPUInfo = {
        var buffer = [CChar](repeating: 0, count: 64)
        let model = bgpo_cpu_brand(&buffer, Int32(buffer.count)) != 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown CPU"
        return CPUInfo(model: model, instructionSet: InstructionSet(rawValue: Int(bgpo_cpu_isa_level())) ?? .baseline,
                       hasAVX512BF16: bgpo_cpu_has_avx512_bf16() != 0)
    }()

    /// The features in words: `AVX-512 (AVX512_BF16)`, `AVX2`, ...
    public var features: String {
        instructionSet.description + (hasAVX512BF16 ? " with AVX512_BF16" : "")
    }
}
