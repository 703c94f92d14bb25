import ArgumentParser
import Base
import RunConfig

/// Throws a usage error (exit 64) unless `count`, the value of thread option `option`, is in
/// 1...`ThreadLimit.maximum`.
func checkThreadCount(_ count: Int, option: String = "--threads") throws {
    guard (1...ThreadLimit.maximum).contains(count) else {
        throw ValidationError("\(option) must be between 1 and \(ThreadLimit.maximum), got \(count)")
    }
}

/// Throws a usage error (exit 64) unless `value`, the value of option `option`, is in
/// `minimum...maximum` (by default `ConfigLimits.maximumCount`, 2^31 - 1).
func checkCount(_ value: Int, option: String, minimum: Int = 1, maximum: Int = ConfigLimits.maximumCount) throws {
    guard (minimum...maximum).contains(value) else {
        throw ValidationError("\(option) must be between \(minimum) and \(maximum), got \(value)")
    }
}
