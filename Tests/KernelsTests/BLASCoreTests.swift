import Base
import Kernels
import Testing

/// Which OpenBLAS core fits which CPU, and when a core is below its CPU.
@Suite struct BLASCoreTests {
    private func cpu(_ set: CPUInfo.InstructionSet, bf16: Bool = false) -> CPUInfo {
        CPUInfo(model: "test CPU", instructionSet: set, hasAVX512BF16: bf16)
    }

    @Test func theBestCoreRunsTheCPUsWidestVectors() {
        #expect(BLASCore.bestCore(for: cpu(.avx512, bf16: true)) == "SkylakeX")
        #expect(BLASCore.bestCore(for: cpu(.avx512)) == "SkylakeX")
        #expect(BLASCore.bestCore(for: cpu(.avx2)) == "Haswell")
        #expect(BLASCore.bestCore(for: cpu(.avx)) == "Sandybridge")
        #expect(BLASCore.bestCore(for: cpu(.baseline)) == nil)
        for set in [CPUInfo.InstructionSet.avx, .avx2, .avx512] {
            #expect(BLASCore.instructionSet(ofCore: BLASCore.bestCore(for: cpu(set)) ?? "") == set)
        }
    }

    @Test func genericAndOlderCoresAreBelowNewerCPUs() {
        for generic in ["Prescott", "Core2", "Nehalem", "Penryn", "unknown"] {
            #expect(BLASCore.instructionSet(ofCore: generic) == .baseline)
        }
        #expect(BLASCore.instructionSet(ofCore: "Zen") == .avx2)
        #expect(BLASCore.instructionSet(ofCore: "Cooperlake") == .avx512)
        func core(_ name: String, on set: CPUInfo.InstructionSet) -> BLASCore {
            BLASCore(name: name, origin: .detected, best: BLASCore.bestCore(for: cpu(set)), cpu: cpu(set))
        }
        #expect(core("Prescott", on: .avx512).isBelowTheCPU)
        #expect(core("Haswell", on: .avx512).isBelowTheCPU)
        #expect(!core("SkylakeX", on: .avx512).isBelowTheCPU)
        #expect(!core("Zen", on: .avx2).isBelowTheCPU)
        #expect(!core("Prescott", on: .baseline).isBelowTheCPU)
        let user = BLASCore(name: "Haswell", origin: .user, best: "SkylakeX", cpu: cpu(.avx512))
        #expect(user.description.contains("warning: this AVX-512 CPU runs SkylakeX"))
        let corrected = BLASCore(name: "SkylakeX", origin: .corrected(from: "Prescott"), best: "SkylakeX", cpu: cpu(.avx512))
        #expect(corrected.description == "SkylakeX (chosen by bgpo: OpenBLAS detected Prescott on this AVX-512 CPU)")
    }

    /// cpuid agrees with the compiler's own feature test on this machine.
    @Test func thisCPUsInstructionSetAgreesWithTheFMAPeakProbe() {
        let current = CPUInfo.current
        #expect((current.instructionSet >= .avx2) == FMAWidth.avx2.isSupported)
        #expect((current.instructionSet >= .avx512) == FMAWidth.avx512.isSupported)
        #expect(!current.model.isEmpty)
    }
}
