import Base
import Checkpoint
import DLLM

extension TensorLayout {
    /// Views of every tensor of `buffer` (laid out as this layout) for writing, in layout order:
    /// tensor `entry` is `buffer[entry.offset ..< entry.offset + entry.count]` with `entry.shape`,
    /// named `name(entry.name)` and stored as `dtype`. The views borrow `buffer`'s memory.
    public func tensorViews(of buffer: FlatBuffer, storedAs dtype: TensorDType = .f32,
                            naming name: (String) -> String = { $0 }) -> [TensorView] {
        precondition(buffer.count == totalCount, "tensorViews: buffer of \(buffer.count) elements, layout of \(totalCount)")
        return entries.map { tensorView(of: buffer, entry: $0, storedAs: dtype, name: name($0.name)) }
    }

    /// The view of one tensor `entry` of `buffer`, named `name`, stored as `dtype`.
    public func tensorView(of buffer: FlatBuffer, entry: TensorEntry, storedAs dtype: TensorDType = .f32,
                           name: String? = nil) -> TensorView {
        TensorView(name: name ?? entry.name, shape: entry.shape,
                   floats: UnsafeBufferPointer(start: buffer.pointer + entry.offset, count: entry.count), storedAs: dtype)
    }

    /// Where reading every tensor of this layout puts it in `buffer`, in layout order, each named
    /// `name(entry.name)`.
    public func tensorDestinations(in buffer: FlatBuffer, naming name: (String) -> String = { $0 }) -> [TensorDestination] {
        precondition(buffer.count == totalCount, "tensorDestinations: buffer of \(buffer.count) elements, layout of \(totalCount)")
        return entries.map { entry in
            TensorDestination(name: name(entry.name), shape: entry.shape,
                              floats: UnsafeMutableBufferPointer(start: buffer.pointer + entry.offset, count: entry.count))
        }
    }
}
