import Base
import Foundation

extension Communicator {
    /// Runs `body` on rank 0 only and returns its result there (nil elsewhere).
    ///
    /// With several ranks an error in `body` is printed and ends every rank with its exit code,
    /// since the others may be waiting in a collective for rank 0; alone, it is thrown.
    @discardableResult
    public func rootOnly<T>(_ body: () throws -> T) throws -> T? {
        guard isRoot else { return nil }
        do {
            return try body()
        } catch {
            guard size > 1 else { throw error }
            StandardStream.error.writeLog("bgpo: error: \(error)\n")
            abort(code: (error as? any ExitCodeProviding)?.exitCode ?? ExitStatus.software)
        }
    }
}
