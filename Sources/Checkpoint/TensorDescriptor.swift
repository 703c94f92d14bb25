/// A tensor's name, shape and stored element type, without its data.
public struct TensorDescriptor: Sendable, Hashable {
    /// The tensor's name, for example `model.layers.0.mlp.up_proj.weight`.
    public var name: String
    /// The shape, outermost dimension first (row-major); `[]` is a scalar.
    public var shape: [Int]
    /// The element type.
    public var dtype: TensorDType

    /// Creates a descriptor.
    public init(name: String, shape: [Int], dtype: TensorDType) {
        self.name = name
        self.shape = shape
        self.dtype = dtype
    }

    /// The number of elements: the product of the shape (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    /// The number of bytes the data takes in a file.
    public var byteCount: Int { elementCount * dtype.byteWidth }

    /// The shape as text, for example `[2048, 4096]`.
    public var shapeDescription: String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}

/// A tensor to write: its descriptor and a view of its data in the caller's memory.
///
/// The view must stay valid until the write returns. Nothing is copied besides what a type
/// conversion needs (one small buffer at a time).
public struct TensorView {
    /// How the tensor is stored in the file (its `dtype` may differ from `memoryDType`).
    public var descriptor: TensorDescriptor
    /// The element type of `bytes`.
    public var memoryDType: TensorDType
    /// The elements, row-major, `descriptor.elementCount * memoryDType.byteWidth` bytes.
    public var bytes: UnsafeRawBufferPointer

    /// A tensor stored exactly as it is in memory.
    public init(name: String, shape: [Int], dtype: TensorDType, bytes: UnsafeRawBufferPointer) {
        self.descriptor = TensorDescriptor(name: name, shape: shape, dtype: dtype)
        self.memoryDType = dtype
        self.bytes = bytes
    }

    /// An F32 tensor in memory, stored as `storedAs` (F32, or F16/BF16 rounded to nearest even).
    public init(name: String, shape: [Int], floats: UnsafeBufferPointer<Float>, storedAs: TensorDType = .f32) {
        self.descriptor = TensorDescriptor(name: name, shape: shape, dtype: storedAs)
        self.memoryDType = .f32
        self.bytes = UnsafeRawBufferPointer(floats)
    }
}

/// Where to read a tensor to: its expected name and shape and the caller's memory.
public struct TensorDestination {
    /// The tensor's name in the file.
    public var name: String
    /// The shape the file must hold for this name.
    public var shape: [Int]
    /// The element type of `bytes`; the stored type must convert to it (see ``TensorDType/canConvert(from:)``).
    public var dtype: TensorDType
    /// The memory to fill, exactly `elementCount * dtype.byteWidth` bytes.
    public var bytes: UnsafeMutableRawBufferPointer

    /// A destination of any element type.
    public init(name: String, shape: [Int], dtype: TensorDType, bytes: UnsafeMutableRawBufferPointer) {
        self.name = name
        self.shape = shape
        self.dtype = dtype
        self.bytes = bytes
    }

    /// An F32 destination; F16 and BF16 data is widened on the way.
    public init(name: String, shape: [Int], floats: UnsafeMutableBufferPointer<Float>) {
        self.init(name: name, shape: shape, dtype: .f32, bytes: UnsafeMutableRawBufferPointer(floats))
    }

    /// The number of elements the shape holds.
    public var elementCount: Int { shape.reduce(1, *) }
}
