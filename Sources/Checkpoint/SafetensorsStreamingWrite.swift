import Foundation

extension Safetensors {
    /// Writes a plain safetensors file at `url` whose tensors are produced one at a time, so that
    /// only one of them needs to be in memory: a model converted tensor by tensor.
    ///
    /// `descriptors` fix the header (names, shapes, stored types, in data order). `tensor(i)`
    /// returns the data of descriptor `i`; its memory must stay valid until the next call (a
    /// reused buffer is fine) and its descriptor must equal `descriptors[i]`. The file is written
    /// under a temporary name, synced and renamed, as ``write(_:metadata:to:compression:)`` does.
    public static func write(_ descriptors: [TensorDescriptor], metadata: [String: String] = [:], to url: URL,
                             tensor: (Int) throws -> TensorView) throws -> FileDigest {
        let header = try SafetensorsHeader(tensors: descriptors, metadata: metadata, path: url.path)
        return try writeAtomically(url.path) { file in
            try header.encoded().withUnsafeBytes { try file.write($0) }
            var scratch: UnsafeMutableRawBufferPointer?
            defer { scratch?.deallocate() }
            for (i, descriptor) in descriptors.enumerated() {
                let view = try tensor(i)
                guard view.descriptor == descriptor else {
                    throw CheckpointError(.invalidArgument, path: url.path,
                                          "tensor \(i) is '\(view.descriptor.name)' \(view.descriptor.shapeDescription) "
                                          + "\(view.descriptor.dtype.rawValue), the header says '\(descriptor.name)' "
                                          + "\(descriptor.shapeDescription) \(descriptor.dtype.rawValue)")
                }
                _ = try makeHeader([view], metadata: [:], path: url.path)
                try writeData(of: view, to: file, scratch: &scratch)
            }
            return try file.finish()
        }
    }
}
