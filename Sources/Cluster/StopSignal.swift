import CSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The request to stop early that SIGUSR1, SIGUSR2 or SIGTERM carries.
///
/// The handler (in C, async-signal-safe) only records the first signal's number in an atomic int;
/// the training loop polls `isRequested` at each step boundary and agrees on it across ranks in the
/// step's all-reduce. SIGINT keeps its default action, so Ctrl-C still ends an interactive run at
/// once.
public enum StopSignal {
    /// The signals that request a stop.
    public static let signals: [Int32] = [SIGUSR1, SIGUSR2, SIGTERM]

    /// Installs the handlers and unblocks the signals in the calling thread (idempotent).
    ///
    /// Call it early, before MPI or anything else starts threads: threads inherit the caller's
    /// signal mask. A stop signal that arrives before this ends the process.
    public static func install() throws {
        let error = bgpo_stop_signals_install()
        guard error == 0 else { throw ClusterError.signalInstall(errno: error) }
    }

    /// Restores the actions that were in place before `install()`.
    public static func uninstall() throws {
        let error = bgpo_stop_signals_uninstall()
        guard error == 0 else { throw ClusterError.signalInstall(errno: error) }
    }

    /// Whether a stop signal arrived since `install()` or `reset()`.
    public static var isRequested: Bool { bgpo_stop_signal_received() != 0 }

    /// The first stop signal that arrived, if any.
    public static var received: Int32? {
        let signal = bgpo_stop_signal_received()
        return signal == 0 ? nil : signal
    }

    /// Forgets a received signal.
    public static func reset() {
        bgpo_stop_signal_reset()
    }

    /// The conventional name of a stop signal, such as "SIGUSR1".
    public static func name(of signal: Int32) -> String {
        switch signal {
        case SIGUSR1: "SIGUSR1"
        case SIGUSR2: "SIGUSR2"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}
