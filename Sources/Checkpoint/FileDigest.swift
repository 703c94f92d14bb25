import Crypto

/// The size and SHA-256 of a file as written or read, computed while streaming.
public struct FileDigest: Sendable, Equatable {
    /// The number of bytes in the file.
    public var byteCount: Int
    /// The SHA-256 of the file's bytes, 64 lowercase hex digits.
    public var sha256: String
    /// For a zstd file, the number of bytes it decompresses to; nil for a plain file.
    public var uncompressedByteCount: Int?

    /// Creates a digest.
    public init(byteCount: Int, sha256: String, uncompressedByteCount: Int? = nil) {
        self.byteCount = byteCount
        self.sha256 = sha256
        self.uncompressedByteCount = uncompressedByteCount
    }
}

/// An incremental SHA-256 with a byte count.
struct StreamDigest {
    private var hasher = SHA256()
    /// Bytes hashed so far.
    private(set) var byteCount = 0

    /// Adds `bytes` to the hash.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
        byteCount += bytes.count
    }

    /// The digest of everything added.
    func finalize(uncompressedByteCount: Int? = nil) -> FileDigest {
        FileDigest(byteCount: byteCount, sha256: hexString(hasher.finalize()),
                   uncompressedByteCount: uncompressedByteCount)
    }
}

/// The lowercase hex digits of `bytes`.
public func hexString<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
