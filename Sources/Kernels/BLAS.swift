import Base
import COpenBLAS
import Dispatch

/// Facts about and control of the OpenBLAS library in use.
public enum BLAS {
    /// The kernel family OpenBLAS selected when it loaded, e.g. "Cooperlake" or "Haswell".
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Sets the number of threads OpenBLAS uses for each matrix product (1...``Base/ThreadLimit/maximum``).
    public static func setThreads(_ n: Int) {
        precondition((1...ThreadLimit.maximum).contains(n), "BLAS.setThreads: \(n) is outside 1...\(ThreadLimit.maximum)")
        openblas_set_num_threads(Int32(n))
    }

    /// The number of threads OpenBLAS uses for each matrix product.
    public static var threads: Int {
        Int(openblas_get_num_threads())
    }

    /// Runs `body(thread)` for every `thread` in `0..<threads` at the same time, with single-threaded
    /// matrix products (the thread count is 1 for the call and restored after): independent passes
    /// side by side, each of whose products is too small for threads inside it to pay.
    public static func sideBySide(threads: Int, _ body: @Sendable (_ thread: Int) -> Void) {
        singleThreaded { DispatchQueue.concurrentPerform(iterations: threads, execute: body) }
    }

    /// Runs `body` with single-threaded matrix products (the thread count is 1 for the call and
    /// restored after), so that no OpenBLAS worker waits spinning on a core that threads of the
    /// caller's own need.
    public static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        let saved = Self.threads
        guard saved > 1 else { return try body() }
        setThreads(1)
        defer { setThreads(saved) }
        return try body()
    }
}
