import Foundation
import Testing

@Test func describeLLaDA8BPrintsItsParameterCountAndTensors() throws {
    let result = try runBGPO(["model", "describe", "--preset", "llada-8b"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("8015581184"))
    #expect(result.stdout.contains("model.transformer.wte.weight"))
    #expect(result.stdout.contains("model.transformer.blocks.31.up_proj.weight"))
    #expect(result.stdout.contains("[12288, 4096]"))
    #expect(result.stdout.contains("model.transformer.ln_f.weight"))
}

@Test(arguments: [["model", "describe", "--preset", "huge"], ["bench", "model", "--preset", "huge"]])
func unknownPresetExits64(arguments: [String]) throws {
    let result = try runBGPO(arguments)
    #expect(result.status == 64)
    #expect(result.stderr.contains("unknown model preset 'huge'"))
}

@Test func nonPositiveBenchSizeExits64() throws {
    let result = try runBGPO(["bench", "model", "--preset", "tiny", "--batch", "0"])
    #expect(result.status == 64)
    #expect(result.stderr.contains("--batch must be positive"))
}

@Test func benchModelJSONParses() throws {
    let result = try runBGPO(["bench", "model", "--preset", "tiny", "--batch", "2", "--seq", "8", "--runs", "1", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let data = Data(result.stdout.utf8)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    for key in ["fwd_tokens_per_s", "fwdbwd_tokens_per_s", "gflops_fwdbwd", "gemm_ceiling_gflops"] {
        let value = try #require(object[key] as? Double, "missing \(key)")
        #expect(value > 0, "\(key)")
    }
    #expect(object["threads"] as? Int == 1)
    #expect(object["batch"] as? Int == 2)
    #expect(object["seq"] as? Int == 8)
    #expect((object["blas_core"] as? String)?.isEmpty == false)
    // The measured FMA peak: per core, at the threads, and the pass as a fraction of it.
    for key in ["fma_peak_gflops_per_core", "measured_peak_gflops", "measured_peak_fraction_fwdbwd"] {
        let value = try #require(object[key] as? Double, "missing \(key)")
        #expect(value > 0 && value.isFinite, "\(key)")
    }
    let width = try #require(object["fma_peak_width"] as? String)
    let byWidth = try #require(object["fma_peak_gflops_by_width"] as? [String: Double])
    #expect(["avx2", "avx512"].contains(width))
    #expect(byWidth[width] == object["fma_peak_gflops_per_core"] as? Double)
}
