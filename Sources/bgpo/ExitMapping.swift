import ArgumentParser
import Base
import Foundation
import Kernels

/// A command whose standard output is a log of work whose product is elsewhere (checkpoints, a
/// model directory): a failure to write the log does not change its exit code.
protocol LoggingCommand {}

extension BGPO {
    /// Runs the command line; an error that knows its exit code (``ExitCodeProviding``) is printed to
    /// standard error and ends the process with that code, every other error goes to ArgumentParser.
    /// A command whose output is its product and could not be written ends with 74. First of
    /// all, the process restarts itself with the best OpenBLAS kernels when OpenBLAS detected
    /// lesser ones (``BLASCore/selectBeforeStart(arguments:)``).
    static func main() {
        BLASCore.selectBeforeStart(arguments: CommandLine.arguments)
        let command: any ParsableCommand
        do {
            var parsed = try parseAsRoot()
            command = parsed
            try parsed.run()
        } catch let error as any ExitCodeProviding {
            fail(error)
        } catch {
            exit(withError: error)
        }
        guard let failure = StandardStream.outputFailureAfterFlush() else { return }
        if command is any LoggingCommand {
            StandardStream.error.writeLog("bgpo: warning: \(failure); the log on standard output is incomplete\n")
        } else {
            fail(failure)
        }
    }

    /// Prints `error` to standard error (if it can) and exits with its code.
    private static func fail(_ error: any ExitCodeProviding) -> Never {
        StandardStream.error.writeLog("bgpo: error: \(error)\n")
        Foundation.exit(error.exitCode)
    }
}
