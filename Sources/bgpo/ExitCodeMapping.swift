import ArgumentParser
import Foundation
import Kernels

/// Runs `body`; an error that knows its exit code is printed to standard error as `bgpo: ...`
/// and ends the process with that code (ArgumentParser would otherwise exit with 1).
func mappingExitCodes<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as any ExitCodeProviding {
        FileHandle.standardError.write(Data("bgpo: \(error)\n".utf8))
        throw ExitCode(error.exitCode)
    }
}
