#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// One contiguous, 64-byte aligned, zero-initialised `Float` buffer, freed when released.
///
/// Parameters, gradients and optimiser moments each live in one `FlatBuffer` with the same
/// layout, so zeroing, the optimiser step and the all-reduce are single loops or calls.
/// The buffer does no synchronisation: callers that share it across threads order their accesses.
public final class FlatBuffer: @unchecked Sendable {
    /// The number of `Float` elements.
    public let count: Int
    /// The first element; valid for `count` elements until the buffer is released.
    public let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` zeroed elements aligned to 64 bytes.
    public init(count: Int) {
        precondition(count >= 0, "FlatBuffer count must not be negative, got \(count)")
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let status = posix_memalign(&raw, 64, bytes)
        guard status == 0, let raw else {
            fatalError("FlatBuffer: cannot allocate \(bytes) bytes (posix_memalign returned \(status))")
        }
        memset(raw, 0, bytes)
        self.count = count
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit {
        free(pointer)
    }

    /// Sets every element to zero.
    public func zero() {
        memset(pointer, 0, count * MemoryLayout<Float>.stride)
    }

    /// Copies every element of `other`, which must have the same count.
    public func copy(from other: FlatBuffer) {
        precondition(other.count == count, "FlatBuffer.copy: count \(other.count) differs from \(count)")
        pointer.update(from: other.pointer, count: count)
    }

    /// Adds every element of `other`, which must have the same count, to this buffer's.
    public func add(_ other: FlatBuffer) {
        precondition(other.count == count, "FlatBuffer.add: count \(other.count) differs from \(count)")
        for i in 0..<count {
            pointer[i] += other.pointer[i]
        }
    }

    /// Whether no element is infinite or NaN (one pass, an OR of exponent tests).
    public var isAllFinite: Bool {
        let exponentBits: UInt32 = 0x7f80_0000
        var nonFinite: UInt32 = 0
        for i in 0..<count {
            nonFinite |= (pointer[i].bitPattern & exponentBits) == exponentBits ? 1 : 0
        }
        return nonFinite == 0
    }

    /// A buffer view of the elements, for `Collection` algorithms outside hot loops.
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}
