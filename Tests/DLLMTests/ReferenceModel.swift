import DLLM
import Foundation

/// An obviously-correct Double implementation of the LLaDA mask predictor (docs/algorithm.md §1),
/// written with plain loops and no Kernels code, to check ``modelForward`` and ``modelBackward``.
struct ReferenceModel {
    let config: ModelConfig
    let layout: ParameterLayout

    init(config: ModelConfig) {
        self.config = config
        self.layout = ParameterLayout(config: config)
    }

    /// Logits [batch * seq, vocab] for `tokens` [batch * seq] with key mask [batch * seq].
    func logits(parameters p: [Double], tokens: [Int32], mask: [UInt8], batch: Int, seq: Int) -> [Double] {
        let c = config, d = c.dModel, n = batch * seq
        func weight(_ name: String) -> Int { layout[name]!.offset }
        var x = [Double](repeating: 0, count: n * d)
        let wte = weight("model.transformer.wte.weight")
        for i in 0..<n {
            for j in 0..<d { x[i * d + j] = p[wte + Int(tokens[i]) * d + j] }
        }
        for k in 0..<c.nLayers {
            let b = "model.transformer.blocks.\(k)."
            let normed = rmsnorm(x, p, weight(b + "attn_norm.weight"), rows: n)
            let kvd = c.nKVHeads * c.headDim
            let q = rope(linear(normed, p, weight(b + "q_proj.weight"), rows: n, inFeatures: d, outFeatures: d),
                         heads: c.nHeads, batch: batch, seq: seq)
            let key = rope(linear(normed, p, weight(b + "k_proj.weight"), rows: n, inFeatures: d, outFeatures: kvd),
                           heads: c.nKVHeads, batch: batch, seq: seq)
            let v = linear(normed, p, weight(b + "v_proj.weight"), rows: n, inFeatures: d, outFeatures: kvd)
            let context = attention(q, key, v, mask: mask, batch: batch, seq: seq)
            let attnOut = linear(context, p, weight(b + "attn_out.weight"), rows: n, inFeatures: d, outFeatures: d)
            let h = zip(x, attnOut).map { $0 + $1 }
            let ffNormed = rmsnorm(h, p, weight(b + "ff_norm.weight"), rows: n)
            let m = c.mlpHidden
            let gate = linear(ffNormed, p, weight(b + "ff_proj.weight"), rows: n, inFeatures: d, outFeatures: m)
            let up = linear(ffNormed, p, weight(b + "up_proj.weight"), rows: n, inFeatures: d, outFeatures: m)
            let act = zip(gate, up).map { g, u in g / (1 + exp(-g)) * u }
            let ffOut = linear(act, p, weight(b + "ff_out.weight"), rows: n, inFeatures: m, outFeatures: d)
            x = zip(h, ffOut).map { $0 + $1 }
        }
        let final = rmsnorm(x, p, weight("model.transformer.ln_f.weight"), rows: n)
        return linear(final, p, weight("model.transformer.ff_out.weight"), rows: n, inFeatures: d, outFeatures: c.vocabSize)
    }

    /// `sum_i weights[i] * log softmax(logits[rows[i]])[targets[i]]`.
    func weightedLogProb(parameters: [Double], tokens: [Int32], mask: [UInt8], batch: Int, seq: Int,
                         rows: [Int32], targets: [Int32], weights: [Double]) -> Double {
        let v = config.vocabSize
        let z = logits(parameters: parameters, tokens: tokens, mask: mask, batch: batch, seq: seq)
        var total = 0.0
        for i in rows.indices {
            let row = Array(z[(Int(rows[i]) * v)..<(Int(rows[i]) * v + v)])
            let mx = row.max()!
            let lse = mx + log(row.reduce(0) { $0 + exp($1 - mx) })
            total += weights[i] * (row[Int(targets[i])] - lse)
        }
        return total
    }

    /// y = x W^T; x: [rows, in]; W at `offset`: [out, in].
    private func linear(_ x: [Double], _ p: [Double], _ offset: Int, rows: Int, inFeatures: Int, outFeatures: Int) -> [Double] {
        var y = [Double](repeating: 0, count: rows * outFeatures)
        for r in 0..<rows {
            for o in 0..<outFeatures {
                var s = 0.0
                for i in 0..<inFeatures { s += x[r * inFeatures + i] * p[offset + o * inFeatures + i] }
                y[r * outFeatures + o] = s
            }
        }
        return y
    }

    /// x * rsqrt(mean(x^2) + eps) * weight, per row of width dModel.
    private func rmsnorm(_ x: [Double], _ p: [Double], _ offset: Int, rows: Int) -> [Double] {
        let d = config.dModel
        var y = x
        for r in 0..<rows {
            var ss = 0.0
            for j in 0..<d { ss += x[r * d + j] * x[r * d + j] }
            let s = 1 / (ss / Double(d) + Double(config.normEps)).squareRoot()
            for j in 0..<d { y[r * d + j] = x[r * d + j] * s * p[offset + j] }
        }
        return y
    }

    /// Rotate-half rotary embedding at absolute positions 0..<seq of each sequence; x: [batch * seq, heads * headDim].
    private func rope(_ x: [Double], heads: Int, batch: Int, seq: Int) -> [Double] {
        let hd = config.headDim, half = hd / 2
        var y = x
        for r in 0..<(batch * seq) {
            let position = Double(r % seq)
            for h in 0..<heads {
                let base = (r * heads + h) * hd
                for i in 0..<hd {
                    let angle = position * pow(config.ropeTheta, -2.0 * Double(i % half) / Double(hd))
                    let rotated = i < half ? -x[base + i + half] : x[base + i - half]
                    y[base + i] = x[base + i] * cos(angle) + rotated * sin(angle)
                }
            }
        }
        return y
    }

    /// softmax(q k^T / sqrt(headDim)) v per head, bidirectional, padding keys excluded, kv heads shared by groups.
    private func attention(_ q: [Double], _ k: [Double], _ v: [Double], mask: [UInt8], batch: Int, seq: Int) -> [Double] {
        let c = config, hd = c.headDim, heads = c.nHeads, kvHeads = c.nKVHeads
        var out = [Double](repeating: 0, count: batch * seq * heads * hd)
        for b in 0..<batch {
            for h in 0..<heads {
                let g = h * kvHeads / heads
                for i in 0..<seq {
                    var scores = [Double](repeating: 0, count: seq)
                    for j in 0..<seq {
                        var s = 0.0
                        for e in 0..<hd {
                            s += q[((b * seq + i) * heads + h) * hd + e] * k[((b * seq + j) * kvHeads + g) * hd + e]
                        }
                        scores[j] = s / Double(hd).squareRoot()
                    }
                    let real = (0..<seq).filter { mask[b * seq + $0] != 0 }
                    let mx = real.map { scores[$0] }.max()!
                    let total = real.reduce(0) { $0 + exp(scores[$1] - mx) }
                    for j in real {
                        let weight = exp(scores[j] - mx) / total
                        for e in 0..<hd {
                            out[((b * seq + i) * heads + h) * hd + e] += weight * v[((b * seq + j) * kvHeads + g) * hd + e]
                        }
                    }
                }
            }
        }
        return out
    }
}
