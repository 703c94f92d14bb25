import Base
import Testing

/// The sum over all chains and lanes after `iterations` steps of the loop, as cpeak.h describes it:
/// chain k starts at k / 100 and steps `c = c * 0.999999 + 1e-6`, one rounding per step (fused).
private func expectedChecksum(lanes: Int, iterations: Int) -> Double {
    var sum = 0.0
    for k in 0..<FMAPeak.chains {
        var c = Float(k) / 100
        for _ in 0..<iterations { c = Float(1e-6).addingProduct(c, 0.999999) }
        sum += Double(c)
    }
    return sum * Double(lanes)
}

@Test(arguments: FMAWidth.allCases.filter(\.isSupported))
func fmaLoopCountsItsFlopsAndComputesItsChains(width: FMAWidth) {
    let iterations = 1000
    let (flops, checksum) = FMAPeak.run(width, iterations: iterations)
    #expect(flops == iterations * FMAPeak.chains * width.lanes * 2)
    let expected = expectedChecksum(lanes: width.lanes, iterations: iterations)
    #expect(abs(Double(checksum) - expected) <= 1e-5 * expected, "checksum \(checksum), expected \(expected)")
}

@Test func fmaLoopDoesNothingForNegativeIterations() {
    for width in FMAWidth.allCases {
        #expect(FMAPeak.run(width, iterations: -1).flops == 0)
    }
}

@Test func fmaPeakReportsEverySupportedWidthWithItsBest() throws {
    let supported = Set(FMAWidth.allCases.filter(\.isSupported))
    let measured = FMAPeak.measure(iterations: 10_000, repetitions: 2)
    guard !supported.isEmpty else {
        #expect(measured == nil)
        return
    }
    let peak = try #require(measured)
    #expect(Set(peak.gflopsByWidth.keys) == supported)
    #expect(peak.gflopsByWidth[peak.width] == peak.gflopsPerCore)
    #expect(peak.gflopsByWidth.values.allSatisfy { $0 > 0 && $0.isFinite && $0 <= peak.gflopsPerCore })
    #expect(peak.repetitions == 2)
    #expect((peak.bf16DotGFLOPS != nil) == CPUInfo.current.hasAVX512BF16)
    if let bf16 = peak.bf16DotGFLOPS { #expect(bf16 > 0 && bf16.isFinite) }
}

@Test(.enabled(if: CPUInfo.current.hasAVX512BF16, "this CPU has no AVX512_BF16"))
func bf16DotLoopCountsItsFlopsAndComputesItsChains() {
    let iterations = 1000
    let (flops, checksum) = FMAPeak.runBF16Dot(iterations: iterations)
    #expect(flops == iterations * FMAPeak.chains * 16 * 4)
    // Chain k: k / 100 plus 2^-19 per iteration (exact in F32 steps of this size), 16 lanes.
    var expected = 0.0
    for k in 0..<FMAPeak.chains {
        var c = Float(k) / 100
        for _ in 0..<iterations { c += 0x1p-19 }
        expected += Double(c) * 16
    }
    #expect(abs(Double(checksum) - expected) <= 1e-5 * expected, "checksum \(checksum), expected \(expected)")
}
