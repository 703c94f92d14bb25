import Base
import Testing

@Test func flatBufferIsAlignedAndZeroed() {
    let buffer = FlatBuffer(count: 1000)
    #expect(Int(bitPattern: buffer.pointer) % 64 == 0)
    #expect(buffer.buffer.allSatisfy { $0 == 0 })
}

@Test func flatBufferZeroAndCopy() {
    var rng = CounterRandom(seed: 1, purpose: .test)
    let a = FlatBuffer(count: 37)
    for i in 0..<37 { a.pointer[i] = 2 * rng.nextFloat() - 1 }
    let b = FlatBuffer(count: 37)
    b.copy(from: a)
    #expect(Array(b.buffer) == Array(a.buffer))
    a.zero()
    #expect(a.buffer.allSatisfy { $0 == 0 })
    #expect(Array(b.buffer) != Array(a.buffer))
}
