import Base
import Foundation
import Kernels
import Testing

/// `silu(gate) * up` in Double; gate, up: [count].
func referenceSwiGLU(_ gate: [Double], _ up: [Double]) -> [Double] {
    zip(gate, up).map { g, u in g / (1 + exp(-g)) * u }
}

/// Both paths (the AVX-512 one where the CPU has it) against the Double formula and its gradient;
/// 45 elements: two full vectors and a partial one.
@Test(arguments: KernelPath.available)
func swigluForwardAndBackward(path: KernelPath) {
    let count = 45
    // Gates cover the saturated ends of the sigmoid as well as its middle.
    let gate = randomValues(count, seed: 70, scale: 12), up = randomValues(count, seed: 71)
    let out = FlatBuffer(count: count)
    swigluForward(gate: gate, up: up, out: out.pointer, count: count, path: path)
    #expect(relativeError(out.array, referenceSwiGLU(gate.map(Double.init), up.map(Double.init))) < 1e-6)

    checkGradients(inputs: [gate, up], wrt: [0, 1], names: ["gate", "up"], seed: 72,
                   reference: { referenceSwiGLU($0[0], $0[1]) },
                   backward: { inputs, dOut, grads in
                       swigluBackward(gate: inputs[0].pointer, up: inputs[1].pointer, dOut: dOut.pointer,
                                      dGate: grads[0].pointer, dUp: grads[1].pointer, count: count, path: path)
                   })
}

/// A NaN gate gives a NaN output and NaN gradients on every path (a diverged run shows, never
/// turns into zeros); the other elements are untouched.
@Test(arguments: KernelPath.available)
func swigluPropagatesNaN(path: KernelPath) {
    let count = 20
    var gate = randomValues(count, seed: 73)
    gate[17] = .nan
    let up = randomValues(count, seed: 74), dOut = randomValues(count, seed: 75)
    let out = FlatBuffer(count: count), dGate = FlatBuffer(count: count), dUp = FlatBuffer(count: count)
    swigluForward(gate: gate, up: up, out: out.pointer, count: count, path: path)
    swigluBackward(gate: gate, up: up, dOut: dOut, dGate: dGate.pointer, dUp: dUp.pointer, count: count, path: path)
    #expect(out.array[17].isNaN && dGate.array[17].isNaN && dUp.array[17].isNaN)
    #expect(out.array.enumerated().allSatisfy { $0.offset == 17 || $0.element.isFinite })
}
