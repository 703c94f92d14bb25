#if canImport(Glibc)
import Base
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which OpenBLAS kernels ("core") run the matrix products, and why.
///
/// OpenBLAS picks its core once, when it loads, from `OPENBLAS_CORETYPE` or its own CPU
/// detection. Its detection does not know CPUs newer than its release (Debian's 0.3.21 takes
/// Sapphire Rapids and later Xeons for a generic SSE3 machine, "Prescott", four times slower),
/// so bgpo checks the choice against the CPU at start (``selectBeforeStart(arguments:)``) and,
/// when OpenBLAS chose below what the CPU runs, starts itself again with the best matching core.
public struct BLASCore: Sendable, Equatable {
    /// Where the core in use came from.
    public enum Origin: Sendable, Equatable {
        /// OpenBLAS's own detection, which matches the CPU.
        case detected
        /// bgpo set `OPENBLAS_CORETYPE` because OpenBLAS's detection chose the core named here,
        /// below what the CPU runs.
        case corrected(from: String)
        /// The user's `OPENBLAS_CORETYPE`, kept as given.
        case user
    }

    /// The environment variable through which a corrected start says what OpenBLAS had chosen.
    public static let correctedFromVariable = "BGPO_OPENBLAS_DETECTED_CORE"

    /// The core in use, for example "SkylakeX".
    public var name: String
    /// Where it came from.
    public var origin: Origin
    /// The best core for this CPU among those OpenBLAS has, or nil when it has none better than
    /// generic kernels for it.
    public var best: String?
    /// The CPU.
    public var cpu: CPUInfo

    /// A core described by hand (the tests' hypothetical machines); ``current`` is the real one.
    public init(name: String, origin: Origin, best: String?, cpu: CPUInfo) {
        self.name = name
        self.origin = origin
        self.best = best
        self.cpu = cpu
    }

    /// The core in use in this process, with its origin.
    public static var current: BLASCore {
        let name = BLAS.coreName
        let userSet = environmentValue("OPENBLAS_CORETYPE") != nil
        let origin: Origin = if let detected = environmentValue(correctedFromVariable), userSet {
            .corrected(from: detected)
        } else if userSet {
            .user
        } else {
            .detected
        }
        return BLASCore(name: name, origin: origin, best: bestCore(for: .current), cpu: .current)
    }

    /// Whether the core's kernels use less of the CPU than it runs.
    public var isBelowTheCPU: Bool {
        Self.instructionSet(ofCore: name) < cpu.instructionSet && best != nil
    }

    /// For the start line: `SkylakeX (chosen by bgpo: OpenBLAS detected Prescott on this AVX-512 CPU)`.
    public var description: String {
        switch origin {
        case .detected: name
        case .corrected(let detected):
            "\(name) (chosen by bgpo: OpenBLAS detected \(detected) on this \(cpu.instructionSet) CPU)"
        case .user where isBelowTheCPU:
            "\(name) (OPENBLAS_CORETYPE; warning: this \(cpu.instructionSet) CPU runs \(best ?? name), which is faster)"
        case .user: "\(name) (OPENBLAS_CORETYPE)"
        }
    }

    /// For every figure's header: `CPU Intel(R) Xeon(R) Processor (AVX-512 with AVX512_BF16),
    /// OpenBLAS core Cooperlake (chosen by bgpo: ...)`.
    public var summary: String {
        "CPU \(cpu.model) (\(cpu.features)), OpenBLAS core \(description)"
    }

    /// The instruction set a core's kernels use, from its name (`Prescott` and other SSE cores:
    /// baseline; unknown names count as baseline).
    public static func instructionSet(ofCore name: String) -> CPUInfo.InstructionSet {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": .avx512
        case "haswell", "zen", "excavator", "steamroller": .avx2
        case "sandybridge", "bulldozer", "piledriver": .avx
        default: .baseline
        }
    }

    /// The OpenBLAS core that best matches `cpu` for F32 work: SkylakeX for AVX-512 (Cooperlake
    /// adds only BF16 products, which bgpo does not call), Haswell for AVX2, Sandybridge for AVX;
    /// nil for older CPUs.
    public static func bestCore(for cpu: CPUInfo) -> String? {
        switch cpu.instructionSet {
        case .avx512: "SkylakeX"
        case .avx2: "Haswell"
        case .avx: "Sandybridge"
        case .baseline: nil
        }
    }

    /// Starts the process again with the best core when OpenBLAS detected a lesser one and the
    /// user set no `OPENBLAS_CORETYPE`; call it first thing, before MPI or any thread starts.
    /// Returns only when no restart is needed or the restart failed (then the slower core stays,
    /// and ``current`` says so).
    public static func selectBeforeStart(arguments: [String]) {
        guard environmentValue("OPENBLAS_CORETYPE") == nil else { return }
        let detected = BLAS.coreName
        guard let best = bestCore(for: .current), instructionSet(ofCore: detected) < CPUInfo.current.instructionSet else {
            return
        }
        setenv("OPENBLAS_CORETYPE", best, 1)
        setenv(correctedFromVariable, detected, 1)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &argv)
        // Still here: the restart failed. Undo, so that the report says what runs.
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(correctedFromVariable)
        for pointer in argv { free(pointer) }
    }
}

/// The value of the environment variable `name`, nil when unset.
private func environmentValue(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}
