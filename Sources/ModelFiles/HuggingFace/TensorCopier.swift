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
        let bytes = target == stored.dtype ? stored.byteCount : stored.elementCount * TensorDType.f32.byteWidth
        if buffer.count < bytes {
            buffer.deallocate()
            buffer = .allocate(byteCount: bytes, alignment: 64)
        }
        let region = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes])
        if target == stored.dtype {
            try file.read(TensorDestination(name: stored.name, shape: stored.shape, dtype: stored.dtype, bytes: region))
            return TensorView(name: name, shape: stored.shape, dtype: target, bytes: UnsafeRawBufferPointer(region))
        }
        let floats = region.bindMemory(to: Float.self)
        try file.read(TensorDestination(name: stored.name, shape: stored.shape, floats: floats))
        return TensorView(name: name, shape: stored.shape, floats: UnsafeBufferPointer(floats), storedAs: target)
    }
}
