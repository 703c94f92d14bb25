import Kernels
import Testing

@Test func flatBufferIsAlignedAndZeroed() {
    let buffer = FlatBuffer(count: 1000)
    #expect(Int(bitPattern: buffer.pointer) % 64 == 0)
    #expect(buffer.array.allSatisfy { $0 == 0 })
}

@Test func flatBufferZeroAndCopy() {
    let a = FlatBuffer(randomValues(37, seed: 1))
    let b = FlatBuffer(count: 37)
    b.copy(from: a)
    #expect(b.array == a.array)
    a.zero()
    #expect(a.array.allSatisfy { $0 == 0 })
    #expect(b.array != a.array)
}
