import Base
import Foundation
import Kernels
import TestSupport
import Testing

/// bgpo runs the OpenBLAS kernels that match the CPU, with no help from the environment, and keeps
/// a core the user chose.
@Suite struct BLASCoreCLITests {
    /// The rank line of `bgpo cluster check` run with `environment` (nil values unset), on `ranks`.
    private func rankLines(setting environment: [String: String?], ranks: Int? = nil) throws -> [[String: Any]] {
        let process = bgpoProcess(["cluster", "check", "--bytes", "4K", "--repeats", "1"], ranks: ranks,
                                  environment: ["SLURM_JOB_ID": "", "SLURM_NTASKS": "", "SLURM_CPUS_PER_TASK": "",
                                                "SLURM_PROCID": "", "MPIEXEC_TIMEOUT": "60"],
                                  directory: nil)
        var variables = process.environment ?? [:]
        for (key, value) in environment { variables[key] = value }
        process.environment = variables
        let output = try runToEnd(process)
        let stdout = String(decoding: output.stdout, as: UTF8.self)
        try #require(output.status == 0, "\(String(decoding: output.stderr, as: UTF8.self))")
        return try jsonLines(stdout).filter { $0["event"] as? String == "rank" }
    }

    @Test(arguments: [nil, 2])
    func everyRankRunsTheCoreOfItsCPUWithoutHelp(ranks: Int?) throws {
        let cpu = CPUInfo.current
        let lines = try rankLines(setting: ["OPENBLAS_CORETYPE": nil, BLASCore.correctedFromVariable: nil], ranks: ranks)
        #expect(lines.count == (ranks ?? 1))
        for line in lines {
            let core = try #require(line["blas_core"] as? String)
            #expect(line["cpu_model"] as? String == cpu.model)
            // bgpo's own AVX-512 kernels exactly where the CPU runs AVX-512.
            #expect(line["kernel_path"] as? String == (cpu.instructionSet >= .avx512 ? "avx512" : "portable"))
            // Whether bf16 rollouts pay here: a measured ratio exactly where the CPU has the instruction.
            #expect((line["bf16_dot_ratio"] as? Double).map { $0 > 0 } ?? !cpu.hasAVX512BF16, "\(line)")
            #expect((line["bf16_dot_ratio"] != nil) == cpu.hasAVX512BF16)
            #expect((line["fma_peak_gflops"] as? Double ?? 0) > 0 || cpu.instructionSet < .avx2)
            // The test that matters on every AVX2 or AVX-512 machine: never a generic core.
            if cpu.instructionSet >= .avx2 {
                #expect(BLASCore.instructionSet(ofCore: core) == cpu.instructionSet, "\(core) on a \(cpu.instructionSet) CPU")
            }
            #expect(line["blas_core_below_cpu"] as? Bool == false)
            #expect(["detected", "corrected"].contains(line["blas_core_origin"] as? String ?? ""))
            if line["blas_core_origin"] as? String == "corrected" {
                let detected = try #require(line["blas_core_detected"] as? String)
                #expect(BLASCore.instructionSet(ofCore: detected) < cpu.instructionSet)
            }
        }
    }

    @Test func aCoreTheUserSetIsKeptWithAWarningWhenSlower() throws {
        let line = try #require(try rankLines(setting: ["OPENBLAS_CORETYPE": "Sandybridge",
                                                        BLASCore.correctedFromVariable: nil]).first)
        #expect(line["blas_core"] as? String == "Sandybridge")
        #expect(line["blas_core_origin"] as? String == "user")
        #expect(line["blas_core_below_cpu"] as? Bool == (CPUInfo.current.instructionSet > .avx))
    }
}
