import Base
import Kernels
import Testing

/// `x W^T + scale (x A^T) B^T` in Double; x: [rows, in], w: [out, in], a: [rank, in], b: [out, rank].
private func referenceLoRA(_ x: [Double], _ w: [Double], _ a: [Double], _ b: [Double], scale: Double,
                           rows: Int, inFeatures: Int, outFeatures: Int, rank: Int) -> [Double] {
    var y = [Double](repeating: 0, count: rows * outFeatures)
    for i in 0..<rows {
        var hidden = [Double](repeating: 0, count: rank)
        for r in 0..<rank {
            for p in 0..<inFeatures { hidden[r] += x[i * inFeatures + p] * a[r * inFeatures + p] }
        }
        for o in 0..<outFeatures {
            var base = 0.0, adapter = 0.0
            for p in 0..<inFeatures { base += x[i * inFeatures + p] * w[o * inFeatures + p] }
            for r in 0..<rank { adapter += hidden[r] * b[o * rank + r] }
            y[i * outFeatures + o] = base + scale * adapter
        }
    }
    return y
}

@Suite struct LoRATests {
    let rows = 5, inF = 7, outF = 6, rank = 3
    let scale: Float = 16.0 / 3.0

    @Test func forwardMatchesTheFormula() {
        let x = randomValues(rows * inF, seed: 1), w = randomValues(outF * inF, seed: 2)
        let a = randomValues(rank * inF, seed: 3), b = randomValues(outF * rank, seed: 4)
        let hidden = FlatBuffer(count: rows * rank)
        for accumulate in [false, true] {
            let y = FlatBuffer(randomValues(rows * outF, seed: 5))
            let before = y.array
            loraLinearForward(x: x, weight: w, a: a, b: b, scale: scale, hidden: hidden.pointer, y: y.pointer,
                              rows: rows, inFeatures: inF, outFeatures: outF, rank: rank, accumulate: accumulate)
            let expected = zip(referenceLoRA(x.map(Double.init), w.map(Double.init), a.map(Double.init), b.map(Double.init),
                                             scale: Double(scale), rows: rows, inFeatures: inF, outFeatures: outF, rank: rank),
                               before).map { $0 + (accumulate ? Double($1) : 0) }
            #expect(relativeError(y.array, expected) < 1e-6, "accumulate \(accumulate)")
        }
    }

    /// PEFT initialises B at zero: the adapted layer then equals the base layer bit for bit.
    @Test func aZeroBGivesTheBaseLayerExactly() {
        let x = randomValues(rows * inF, seed: 6), w = randomValues(outF * inF, seed: 7)
        let a = randomValues(rank * inF, seed: 8), b = [Float](repeating: 0, count: outF * rank)
        let (adapted, base) = (FlatBuffer(count: rows * outF), FlatBuffer(count: rows * outF))
        let hidden = FlatBuffer(count: rows * rank)
        loraLinearForward(x: x, weight: w, a: a, b: b, scale: scale, hidden: hidden.pointer, y: adapted.pointer,
                          rows: rows, inFeatures: inF, outFeatures: outF, rank: rank)
        linearForward(x: x, weight: w, y: base.pointer, rows: rows, inFeatures: inF, outFeatures: outF)
        #expect(adapted.array == base.array)
    }

    /// The merged weight `W + scale B A` alone gives the adapted layer's output.
    @Test func aMergedWeightGivesTheAdaptedLayer() {
        let x = randomValues(rows * inF, seed: 15), w = randomValues(outF * inF, seed: 16)
        let a = randomValues(rank * inF, seed: 17), b = randomValues(outF * rank, seed: 18)
        let merged = FlatBuffer(w)
        loraMerge(weight: merged.pointer, a: a, b: b, scale: scale, inFeatures: inF, outFeatures: outF, rank: rank)
        let y = FlatBuffer(count: rows * outF)
        linearForward(x: x, weight: merged.pointer, y: y.pointer, rows: rows, inFeatures: inF, outFeatures: outF)
        let expected = referenceLoRA(x.map(Double.init), w.map(Double.init), a.map(Double.init), b.map(Double.init),
                                     scale: Double(scale), rows: rows, inFeatures: inF, outFeatures: outF, rank: rank)
        #expect(relativeError(y.array, expected) < 1e-6)
        #expect(merged.array != w, "the adapter must change the weight for the test to mean anything")
    }

    @Test func backwardMatchesFiniteDifferences() {
        let inputs = [randomValues(rows * inF, seed: 10), randomValues(outF * inF, seed: 11),
                      randomValues(rank * inF, seed: 12), randomValues(outF * rank, seed: 13)]
        let (rows, inF, outF, rank, scale) = (rows, inF, outF, rank, scale)
        checkGradients(inputs: inputs, wrt: [0, 2, 3], names: ["x", "A", "B"], seed: 14,
                       reference: { v in
                           referenceLoRA(v[0], v[1], v[2], v[3], scale: Double(scale), rows: rows, inFeatures: inF,
                                         outFeatures: outF, rank: rank)
                       },
                       backward: { buffers, dOut, grads in
                           let hidden = FlatBuffer(count: rows * rank), y = FlatBuffer(count: rows * outF)
                           let dHidden = FlatBuffer(randomValues(rows * rank, seed: 15))
                           loraLinearForward(x: buffers[0].pointer, weight: buffers[1].pointer, a: buffers[2].pointer,
                                             b: buffers[3].pointer, scale: scale, hidden: hidden.pointer, y: y.pointer,
                                             rows: rows, inFeatures: inF, outFeatures: outF, rank: rank)
                           loraLinearBackward(x: buffers[0].pointer, weight: buffers[1].pointer, a: buffers[2].pointer,
                                              b: buffers[3].pointer, scale: scale, hidden: hidden.pointer, dY: dOut.pointer,
                                              dHidden: dHidden.pointer, dX: grads[0].pointer, dA: grads[1].pointer,
                                              dB: grads[2].pointer, rows: rows, inFeatures: inF, outFeatures: outF, rank: rank)
                       })
    }
}
