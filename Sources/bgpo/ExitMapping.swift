import ArgumentParser
import Foundation
import Kernels

extension BGPO {
    /// Runs the command line; an error that knows its exit code (``ExitCodeProviding``) is printed to
    /// standard error and ends the process with that code, every other error goes to ArgumentParser.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as any ExitCodeProviding {
            FileHandle.standardError.write(Data("bgpo: error: \(error)\n".utf8))
            Foundation.exit(error.exitCode)
        } catch {
            exit(withError: error)
        }
    }
}
