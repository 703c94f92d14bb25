import ArgumentParser
import Kernels
import RL

/// Throws a usage error (exit 64) unless `count`, the value of thread option `option`, is in
/// 1...`BLAS.maximumThreads`.
func checkThreadCount(_ count: Int, option: String = "--threads") throws {
    guard (1...BLAS.maximumThreads).contains(count) else {
        throw ValidationError("\(option) must be between 1 and \(BLAS.maximumThreads), got \(count)")
    }
}

/// Throws a usage error (exit 64) unless `value`, the value of option `option`, is in
/// `minimum...maximum` (by default `ConfigLimits.maximumCount`, 2^31 - 1).
func checkCount(_ value: Int, option: String, minimum: Int = 1, maximum: Int = ConfigLimits.maximumCount) throws {
    guard (minimum...maximum).contains(value) else {
        throw ValidationError("\(option) must be between \(minimum) and \(maximum), got \(value)")
    }
}
