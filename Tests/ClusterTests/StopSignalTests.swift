import Cluster
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends `signal` to this process (any thread that does not block it runs the handler; the test
/// runner's threads may block it) and waits up to five seconds for the flag to be set.
private func deliver(_ signal: Int32) -> Int32? {
    kill(getpid(), signal)
    for _ in 0..<500 where StopSignal.received == nil {
        Thread.sleep(forTimeInterval: 0.01)
    }
    return StopSignal.received
}

// One test, so that no other test of this process sees the handlers or the flag change under it.
@Test func stopSignalsSetTheFlagAndKeepTheFirst() throws {
    try StopSignal.install()
    try StopSignal.install()
    defer {
        StopSignal.reset()
        try? StopSignal.uninstall()
    }
    StopSignal.reset()
    #expect(!StopSignal.isRequested)
    #expect(StopSignal.received == nil)

    #expect(deliver(SIGUSR1) == SIGUSR1)
    #expect(StopSignal.isRequested)
    // A later signal does not replace the first.
    kill(getpid(), SIGTERM)
    Thread.sleep(forTimeInterval: 0.1)
    #expect(StopSignal.received == SIGUSR1)

    StopSignal.reset()
    #expect(deliver(SIGUSR2) == SIGUSR2)
    StopSignal.reset()
    #expect(deliver(SIGTERM) == SIGTERM)
    #expect(StopSignal.name(of: SIGTERM) == "SIGTERM")
    #expect(StopSignal.signals == [SIGUSR1, SIGUSR2, SIGTERM])
}
