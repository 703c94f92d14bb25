import CZstd
import Crypto
/// Placeholder
public func zstdVersionPlaceholder() -> UInt32 { ZSTD_versionNumber() }
