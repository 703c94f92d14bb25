import Checkpoint
import Foundation

/// Reads stored tensors one at a time into one reused buffer and presents each as a
/// ``Checkpoint/TensorView`` of the dtype to write: the memory of a conversion is one tensor.
///
/// A tensor kept in its stored dtype is copied byte for byte; otherwise it is widened to F32 on
/// reading and rounded to the target type (nearest even) on writing.
final class TensorCopier {
    private var buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    deinit { buffer.deallocate() }

    /// Tensor `entry` of `file`, to be written as `name` in `dtype` (nil: as stored).
    /// The view is valid until the next call.
    func view(of entry: SafetensorsEntry, in file: SafetensorsFile, as name: String,
              dtype: TensorDType?) throws -> TensorView {
        let stored = entry.descriptor
        let target = dtype ?? stored.dtype
        guard target == stored.dtype else {
            return TensorView(name: name, shape: stored.shape, floats: UnsafeBufferPointer(try floats(of: entry, in: file)),
                              storedAs: target)
        }
        let region = reserve(stored.byteCount)
        try file.read(TensorDestination(name: stored.name, shape: stored.shape, dtype: stored.dtype, bytes: region))
        return TensorView(name: name, shape: stored.shape, dtype: target, bytes: UnsafeRawBufferPointer(region))
    }

    /// Tensor `entry` of `file` widened to F32, valid until the next call.
    func floats(of entry: SafetensorsEntry, in file: SafetensorsFile) throws -> UnsafeMutableBufferPointer<Float> {
        let stored = entry.descriptor
        let floats = reserve(stored.elementCount * TensorDType.f32.byteWidth).bindMemory(to: Float.self)
        try file.read(TensorDestination(name: stored.name, shape: stored.shape, floats: floats))
        return floats
    }

    /// The first `bytes` bytes of the reused buffer, grown when needed.
    private func reserve(_ bytes: Int) -> UnsafeMutableRawBufferPointer {
        if buffer.count < bytes {
            buffer.deallocate()
            buffer = .allocate(byteCount: bytes, alignment: 64)
        }
        return UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes])
    }
}
