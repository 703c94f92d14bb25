import Crypto
import Foundation

/// The contents of a checkpoint's MANIFEST.json: the format version, the step, and the size and
/// SHA-256 of every other file. Written last; a checkpoint without it is incomplete.
///
/// The file is JSON in a fixed layout whose last member, `manifest_sha256`, is the SHA-256 of
/// every byte before the line that holds it, so that damage to the manifest itself is reported
/// as damage to MANIFEST.json, not as a mismatch of the file whose entry was hit:
///
/// ```
/// {
///   "format": "bgpo-checkpoint",
///   "format_version": 1,
///   "step": 120,
///   "files": [
///     {"name": "model.safetensors.zst", "size": 1234, "sha256": "...", "uncompressed_size": 5678},
///     {"name": "optimizer.safetensors.zst", "size": 2345, "sha256": "...", "uncompressed_size": 9012},
///     {"name": "state.json", "size": 345, "sha256": "..."}
///   ],
///   "manifest_sha256": "..."
/// }
/// ```
public struct CheckpointManifest: Sendable, Equatable {
    /// The value of the `format` member.
    public static let formatName = "bgpo-checkpoint"
    /// The format version this code writes and reads.
    public static let currentFormatVersion = 1

    /// One file of the checkpoint.
    public struct File: Sendable, Equatable {
        /// The file name inside the checkpoint directory.
        public var name: String
        /// The size and SHA-256 (and for zstd files the decompressed size) of the file.
        public var digest: FileDigest

        /// Creates an entry.
        public init(name: String, digest: FileDigest) {
            self.name = name
            self.digest = digest
        }
    }

    /// The checkpoint format version.
    public var formatVersion: Int
    /// The training step the checkpoint holds.
    public var step: Int
    /// The files, in the order they were written.
    public var files: [File]

    /// Creates a manifest of the current format version.
    public init(step: Int, files: [File]) {
        self.formatVersion = Self.currentFormatVersion
        self.step = step
        self.files = files
    }

    /// The entry for the file named `name`, if any.
    public subscript(file name: String) -> File? { files.first { $0.name == name } }

    /// The manifest as written to MANIFEST.json.
    public func encoded() -> Data {
        var body: [UInt8] = []
        func append(_ text: String) { body.append(contentsOf: Array(text.utf8)) }
        append("{\n  \"format\": ")
        appendJSONString(Self.formatName, to: &body)
        append(",\n  \"format_version\": \(formatVersion),\n  \"step\": \(step),\n  \"files\": [\n")
        for (i, file) in files.enumerated() {
            append("    {\"name\": ")
            appendJSONString(file.name, to: &body)
            append(", \"size\": \(file.digest.byteCount), \"sha256\": \"\(file.digest.sha256)\"")
            if let uncompressed = file.digest.uncompressedByteCount { append(", \"uncompressed_size\": \(uncompressed)") }
            append(i == files.count - 1 ? "}\n" : "},\n")
        }
        append("  ],\n")
        let sum = hexString(SHA256.hash(data: body))
        append(Self.checksumMarker + sum + "\"\n}\n")
        return Data(body)
    }

    /// The text that starts the checksum line.
    private static let checksumMarker = "  \"manifest_sha256\": \""

    /// Parses MANIFEST.json, checking its own checksum first, then its members.
    ///
    /// Throws `.corrupt` when the checksum does not match, `.invalidContent` for a malformed or
    /// unknown-version manifest. `path` names the file in errors.
    public init(decoding data: Data, path: String) throws {
        let bytes = [UInt8](data)
        let marker = Array(Self.checksumMarker.utf8)
        // The checksum line: marker, 64 hex digits, then exactly "\"\n}\n" to the end.
        let tailLength = marker.count + 64 + 4
        guard bytes.count > tailLength, bytes[bytes.count - tailLength - 1] == UInt8(ascii: "\n"),
              Array(bytes[(bytes.count - tailLength)..<(bytes.count - tailLength + marker.count)]) == marker,
              Array(bytes.suffix(4)) == Array("\"\n}\n".utf8) else {
            throw CheckpointError(.corrupt, path: path,
                                  "damaged: the manifest_sha256 line at its end is missing or malformed")
        }
        let body = bytes[..<(bytes.count - tailLength)]
        let recorded = String(decoding: bytes[(bytes.count - 68)..<(bytes.count - 4)], as: UTF8.self)
        let actual = hexString(SHA256.hash(data: Data(body)))
        guard recorded == actual else {
            throw CheckpointError(.corrupt, path: path,
                                  "damaged: its content has SHA-256 \(actual), its manifest_sha256 says \(recorded)")
        }
        func invalid(_ problem: String) -> CheckpointError { CheckpointError(.invalidContent, path: path, problem) }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw invalid("not a JSON object")
        }
        guard root["format"] as? String == Self.formatName else { throw invalid("format is not \"\(Self.formatName)\"") }
        guard let version = root["format_version"] as? Int else { throw invalid("no format_version") }
        guard version == Self.currentFormatVersion else {
            throw invalid("format_version \(version) is not supported "
                          + "(this bgpo reads version \(Self.currentFormatVersion))")
        }
        guard let step = root["step"] as? Int, step >= 0 else { throw invalid("no valid step") }
        guard let list = root["files"] as? [[String: Any]] else { throw invalid("no files list") }
        var files: [File] = []
        for item in list {
            guard let name = item["name"] as? String, let size = item["size"] as? Int, size >= 0,
                  let sha = item["sha256"] as? String, sha.utf8.count == 64 else {
                throw invalid("a files entry lacks a name, size or sha256")
            }
            files.append(File(name: name, digest: FileDigest(byteCount: size, sha256: sha,
                                                             uncompressedByteCount: item["uncompressed_size"] as? Int)))
        }
        self.formatVersion = version
        self.step = step
        self.files = files
    }
}
