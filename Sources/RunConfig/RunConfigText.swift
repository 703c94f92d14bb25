internal import Crypto

extension RunConfig {
    /// The configuration as a TOML document, every key in declaration order; loading it with
    /// ``applying(toml:source:)`` gives back an equal configuration.
    public var toml: String { tree.tomlDocument() }

    /// The configuration as canonical JSON (compact, keys sorted), the input of ``hash``.
    public var canonicalJSON: String { ConfigValue.table(tree).canonicalJSON }

    /// SHA-256 of ``canonicalJSON``, as 64 lowercase hex digits: equal configurations, equal hash.
    public var hash: String { Self.sha256Hex(canonicalJSON) }

    /// The ``hash`` of the configuration that `text` (a ``toml`` document) was rendered from, over
    /// the keys the document holds: the hash its writer computed, also when this version of bgpo
    /// has keys the writer did not (a checkpoint of an older bgpo; loading the document fills them
    /// with defaults, which would change ``hash``).
    public static func hash(ofTOML text: String, source: String) throws -> String {
        sha256Hex(ConfigValue.table(try TOMLReader.parse(text, source: source)).canonicalJSON)
    }

    private static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
