import DLLM
import Foundation

/// Seconds of one forward and one forward+backward pass, wall and process CPU.
struct PassTimes {
    var forward, training, forwardCPU, trainingCPU: Double

    init(forward: Double, training: Double, forwardCPU: Double, trainingCPU: Double) {
        (self.forward, self.training, self.forwardCPU, self.trainingCPU) = (forward, training, forwardCPU, trainingCPU)
    }

    /// The times bench_torch.py printed.
    init(torch object: [String: Any]) throws {
        guard let f = object["fwd_seconds"] as? Double, let t = object["fwdbwd_seconds"] as? Double,
              let fc = object["fwd_cpu_seconds"] as? Double, let tc = object["fwdbwd_cpu_seconds"] as? Double else {
            throw BenchError.toolFailed(command: "bench_torch.py (its JSON lacks the *_seconds keys)", status: 0)
        }
        self.init(forward: f, training: t, forwardCPU: fc, trainingCPU: tc)
    }

    /// The element-wise median of several measurements.
    init(medianOf all: [PassTimes]) {
        self.init(forward: ModelTimer.median(all.map(\.forward)), training: ModelTimer.median(all.map(\.training)),
                  forwardCPU: ModelTimer.median(all.map(\.forwardCPU)), trainingCPU: ModelTimer.median(all.map(\.trainingCPU)))
    }
}

/// One thread count's comparison.
struct CompareRow {
    var threads: Int
    var config: ModelConfig
    var seq: Int
    var tokens: Int
    /// The measured FMA peak of one core, nil where no width runs.
    var measuredPeakPerCore: Double?
    var bgpo: PassTimes
    var torch: PassTimes
    var torchVersion: String
    var torchCapability: String

    /// GFLOPS of `times` (forward, forward+backward) by the model's FLOP count.
    func gflops(_ times: PassTimes) -> (forward: Double, training: Double) {
        (config.forwardFLOPsPerToken(seq: seq) * Double(tokens) / times.forward / 1e9,
         config.trainingFLOPsPerToken(seq: seq) * Double(tokens) / times.training / 1e9)
    }

    /// The nominal peak at this row's threads.
    var nominalPeak: Double { ModelBench.nominalPeakGFLOPSPerCore * Double(threads) }

    /// The measured peak at this row's threads.
    var measuredPeak: Double? { measuredPeakPerCore.map { $0 * Double(threads) } }

    /// The table: per thread count a bgpo line, a PyTorch line and the ratio.
    static func printTable(_ rows: [CompareRow]) {
        var table = [["threads", "side", "fwd tok/s", "fwd+bwd tok/s", "fwd GFLOPS", "fwd+bwd GFLOPS", "fwd+bwd %nominal", "fwd+bwd %measured",
                      "fwd tok/CPU-s", "fwd+bwd tok/CPU-s"]]
        func f(_ x: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", x) }
        for row in rows {
            for (name, times) in [("bgpo", row.bgpo), ("pytorch", row.torch)] {
                let g = row.gflops(times), n = Double(row.tokens)
                table.append(["\(row.threads)", name, f(n / times.forward), f(n / times.training), f(g.forward, 1),
                              f(g.training, 1), f(100 * g.training / row.nominalPeak, 1) + "%",
                              row.measuredPeak.map { f(100 * g.training / $0, 1) + "%" } ?? "n/a",
                              f(n / times.forwardCPU), f(n / times.trainingCPU)])
            }
            let b = row.bgpo, t = row.torch
            table.append(["\(row.threads)", "bgpo/pytorch", f(t.forward / b.forward, 2) + "x", f(t.training / b.training, 2) + "x",
                          "", "", "", "", f(t.forwardCPU / b.forwardCPU, 2) + "x", f(t.trainingCPU / b.trainingCPU, 2) + "x"])
        }
        MemoryBench.printTable(table)
    }

    /// One JSON object with both sides' numbers.
    func jsonLine(preset: String, batch: Int, rounds: Int, runs: Int, attention: String, blasCore: String,
                  products: String, coretype: String?, load: (Double, Double), fmaPeakWidth: String?) -> String {
        let n = Double(tokens), gb = gflops(bgpo), gt = gflops(torch)
        let object: [String: Any] = [
            "preset": preset, "batch": batch, "seq": seq, "threads": threads, "rounds": rounds, "runs": runs,
            "blas_core": blasCore, "bgpo_products": products, "openblas_coretype_env": coretype ?? NSNull(), "torch_version": torchVersion,
            "torch_cpu_capability": torchCapability, "torch_attention": attention,
            "load_average_start": load.0, "load_average_end": load.1, "peak_gflops": nominalPeak,
            "measured_peak_gflops": measuredPeak ?? NSNull(), "fma_peak_width": fmaPeakWidth ?? NSNull(),
            "bgpo_fwd_tokens_per_s": n / bgpo.forward, "bgpo_fwdbwd_tokens_per_s": n / bgpo.training,
            "torch_fwd_tokens_per_s": n / torch.forward, "torch_fwdbwd_tokens_per_s": n / torch.training,
            "bgpo_gflops_fwd": gb.forward, "bgpo_gflops_fwdbwd": gb.training,
            "torch_gflops_fwd": gt.forward, "torch_gflops_fwdbwd": gt.training,
            "ratio_fwd": torch.forward / bgpo.forward, "ratio_fwdbwd": torch.training / bgpo.training,
            "ratio_fwd_cpu": torch.forwardCPU / bgpo.forwardCPU, "ratio_fwdbwd_cpu": torch.trainingCPU / bgpo.trainingCPU,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
