/// Wall-clock timing of the phases of a step.
struct Stopwatch {
    private let clock = ContinuousClock()
    private var start: ContinuousClock.Instant

    /// Starts timing now.
    init() {
        start = clock.now
    }

    /// Seconds since the start.
    var elapsed: Double {
        let duration = clock.now - start
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// Runs `body` and adds its duration in seconds to `total`.
    static func time<T>(_ total: inout Double, _ body: () throws -> T) rethrows -> T {
        let watch = Stopwatch()
        defer { total += watch.elapsed }
        return try body()
    }
}
