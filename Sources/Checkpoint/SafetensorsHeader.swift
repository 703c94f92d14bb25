import Foundation

/// One tensor of a safetensors file: its descriptor and where its bytes are.
public struct SafetensorsEntry: Sendable, Equatable {
    /// Name, shape and stored element type.
    public var descriptor: TensorDescriptor
    /// The byte range of the data, relative to the first byte after the header.
    public var dataOffsets: Range<Int>
}

/// The header of a safetensors file: every tensor's name, dtype, shape and byte range, plus
/// optional string metadata.
///
/// The format: an 8-byte little-endian length N, N bytes of JSON (an object mapping each tensor
/// name to `{"dtype", "shape", "data_offsets": [begin, end]}`, and optionally `__metadata__` to
/// a string-to-string map), padded with spaces so that the data starts at a multiple of 8; then
/// the data, tensors back to back without gaps.
public struct SafetensorsHeader: Sendable, Equatable {
    /// The largest header accepted, as the reference implementation limits it (100 MB).
    public static let maximumJSONByteCount = 100_000_000

    /// The tensors in data order.
    public var entries: [SafetensorsEntry]
    /// The `__metadata__` map (empty when the file has none).
    public var metadata: [String: String]
    /// The number of bytes before the data: 8 plus the JSON length with padding.
    public var dataStart: Int
    /// The number of data bytes.
    public var dataByteCount: Int { entries.last?.dataOffsets.upperBound ?? 0 }
    /// The size of the whole file.
    public var fileByteCount: Int { dataStart + dataByteCount }

    /// The entry named `name`, if any.
    public subscript(name: String) -> SafetensorsEntry? { entries.first { $0.descriptor.name == name } }

    /// The header for `tensors` stored back to back in the given order; `path` names the file
    /// in errors.
    ///
    /// Throws `.invalidArgument` for duplicate names, the reserved name `__metadata__`, or a
    /// negative dimension.
    init(tensors: [TensorDescriptor], metadata: [String: String], path: String) throws {
        var names = Set<String>()
        var offset = 0
        entries = []
        for tensor in tensors {
            guard tensor.name != "__metadata__", names.insert(tensor.name).inserted else {
                throw CheckpointError(.invalidArgument, path: path, "tensor '\(tensor.name)': duplicate or reserved name")
            }
            guard tensor.shape.allSatisfy({ $0 >= 0 }) else {
                throw CheckpointError(.invalidArgument, path: path,
                                      "tensor '\(tensor.name)': negative dimension in shape \(tensor.shapeDescription)")
            }
            entries.append(SafetensorsEntry(descriptor: tensor, dataOffsets: offset..<(offset + tensor.byteCount)))
            offset += tensor.byteCount
        }
        self.metadata = metadata
        dataStart = 0
        dataStart = encoded().count
    }

    /// The header bytes as written to a file: length prefix, compact JSON (metadata first with
    /// sorted keys, then tensors in data order), space padding to a multiple of 8.
    public func encoded() -> [UInt8] {
        var json: [UInt8] = [UInt8(ascii: "{")]
        if !metadata.isEmpty {
            appendJSONString("__metadata__", to: &json)
            json.append(contentsOf: Array(":{".utf8))
            for (i, key) in metadata.keys.sorted().enumerated() {
                if i > 0 { json.append(UInt8(ascii: ",")) }
                appendJSONString(key, to: &json)
                json.append(UInt8(ascii: ":"))
                appendJSONString(metadata[key]!, to: &json)
            }
            json.append(UInt8(ascii: "}"))
        }
        for entry in entries {
            if json.count > 1 { json.append(UInt8(ascii: ",")) }
            let d = entry.descriptor
            appendJSONString(d.name, to: &json)
            let shape = d.shape.map(String.init).joined(separator: ",")
            let fields = ":{\"dtype\":\"\(d.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":"
                + "[\(entry.dataOffsets.lowerBound),\(entry.dataOffsets.upperBound)]}"
            json.append(contentsOf: Array(fields.utf8))
        }
        json.append(UInt8(ascii: "}"))
        while (8 + json.count) % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + json
    }

    /// The JSON length from a file's first 8 bytes, checked against the size limit and, when
    /// known, the file size.
    static func jsonByteCount(prefix: UnsafeRawBufferPointer, fileByteCount: Int?, path: String) throws -> Int {
        let length = UInt64(littleEndian: prefix.loadUnaligned(as: UInt64.self))
        guard length <= UInt64(maximumJSONByteCount) else {
            throw CheckpointError(.invalidContent, path: path,
                                  "safetensors header length \(length) exceeds the \(maximumJSONByteCount)-byte limit")
        }
        if let fileByteCount, Int(length) + 8 > fileByteCount {
            throw CheckpointError(.invalidContent, path: path,
                                  "safetensors header length \(length) runs past the end of the \(fileByteCount)-byte file")
        }
        return Int(length)
    }

    /// Parses and checks the JSON of a header: known dtypes, non-negative shapes, byte ranges
    /// that match the shapes and tile the data without gaps or overlaps, string metadata.
    init(json: [UInt8], path: String) throws {
        func invalid(_ problem: String) -> CheckpointError {
            CheckpointError(.invalidContent, path: path, "safetensors header: \(problem)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json))
        } catch {
            throw invalid("not valid JSON (\(error.localizedDescription))")
        }
        guard let root = object as? [String: Any] else { throw invalid("not a JSON object") }
        var metadata: [String: String] = [:]
        var entries: [SafetensorsEntry] = []
        for (name, value) in root {
            if name == "__metadata__" {
                guard let map = value as? [String: Any], let strings = map as? [String: String] else {
                    throw invalid("__metadata__ must map strings to strings")
                }
                metadata = strings
                continue
            }
            guard let fields = value as? [String: Any] else { throw invalid("tensor '\(name)' is not an object") }
            guard let dtypeName = fields["dtype"] as? String else { throw invalid("tensor '\(name)' has no dtype") }
            guard let dtype = TensorDType(rawValue: dtypeName) else {
                throw invalid("tensor '\(name)' has unsupported dtype '\(dtypeName)' "
                              + "(supported: F32, F16, BF16, I64, I32)")
            }
            guard let shape = Self.integers(fields["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw invalid("tensor '\(name)' has no valid shape (an array of non-negative integers)")
            }
            guard let offsets = Self.integers(fields["data_offsets"]), offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw invalid("tensor '\(name)' has no valid data_offsets ([begin, end] with 0 <= begin <= end)")
            }
            var bytes = dtype.byteWidth
            for dimension in shape {
                let (product, overflow) = bytes.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw invalid("tensor '\(name)' shape \(shape) is too large") }
                bytes = product
            }
            guard offsets[1] - offsets[0] == bytes else {
                throw invalid("tensor '\(name)' data_offsets [\(offsets[0]), \(offsets[1])] "
                              + "hold \(offsets[1] - offsets[0]) bytes, "
                              + "but shape \(shape) of \(dtypeName) needs \(bytes)")
            }
            entries.append(SafetensorsEntry(descriptor: TensorDescriptor(name: name, shape: shape, dtype: dtype),
                                            dataOffsets: offsets[0]..<offsets[1]))
        }
        entries.sort {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound)
        }
        var end = 0
        for entry in entries {
            guard entry.dataOffsets.lowerBound == end else {
                throw invalid("tensor '\(entry.descriptor.name)' starts at data byte \(entry.dataOffsets.lowerBound), "
                              + "but the previous tensor ends at \(end) (gap or overlap)")
            }
            end = entry.dataOffsets.upperBound
        }
        self.entries = entries
        self.metadata = metadata
        self.dataStart = 8 + json.count
    }

    /// The JSON value as an array of Ints, or nil when it is anything else.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        for element in array {
            guard let number = element as? Int else { return nil }
            result.append(number)
        }
        return result
    }
}
