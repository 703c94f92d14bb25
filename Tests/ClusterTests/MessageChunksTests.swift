import Cluster
import Testing

@Test func chunksCoverTheCountInOrder() {
    #expect(Array(MessageChunks(count: 0, limit: 3)) == [])
    #expect(Array(MessageChunks(count: 10, limit: 3)) == [0..<3, 3..<6, 6..<9, 9..<10])
    #expect(Array(MessageChunks(count: 6, limit: 3)) == [0..<3, 3..<6])
    #expect(Array(MessageChunks(count: 2, limit: 3)) == [0..<2])
}

@Test func chunksOfHugeBuffersFitInt32() {
    let count = 2 * Int(Int32.max) + 5
    let chunks = Array(MessageChunks(count: count, limit: Int(Int32.max)))
    #expect(chunks.count == 3)
    #expect(chunks.allSatisfy { $0.count <= Int(Int32.max) })
    #expect(chunks.first?.lowerBound == 0)
    #expect(chunks.last?.upperBound == count)
    #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
}
