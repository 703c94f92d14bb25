internal import Crypto

extension RunConfig {
    /// The configuration as a TOML document, every key in declaration order; loading it with
    /// ``applying(toml:source:)`` gives back an equal configuration.
    public var toml: String { tree.tomlDocument() }

    /// The configuration as canonical JSON (compact, keys sorted), the input of ``hash``.
    public var canonicalJSON: String { ConfigValue.table(tree).canonicalJSON }

    /// SHA-256 of ``canonicalJSON``, as 64 lowercase hex digits: equal configurations, equal hash.
    public var hash: String {
        SHA256.hash(data: Array(canonicalJSON.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
