import Base
import Kernels
import Testing

@Test func embeddingForwardAndBackward() {
    let vocab = 7, dim = 19
    let tokens: [Int32] = [3, 0, 6, 3, 1]
    let table = randomValues(vocab * dim, seed: 30)
    func reference(_ t: [Double]) -> [Double] {
        tokens.flatMap { token in (0..<dim).map { t[Int(token) * dim + $0] } }
    }
    let out = FlatBuffer(count: tokens.count * dim)
    embeddingForward(tokens: tokens, table: table, out: out.pointer,
                     count: tokens.count, vocab: vocab, dim: dim)
    #expect(out.array.map(Double.init) == reference(table.map(Double.init)))

    checkGradients(inputs: [table], wrt: [0], names: ["table"], seed: 31,
                   reference: { reference($0[0]) },
                   backward: { _, dOut, grads in
                       embeddingBackward(tokens: tokens, dOut: dOut.pointer, dTable: grads[0].pointer,
                                         count: tokens.count, vocab: vocab, dim: dim)
                   })
}
