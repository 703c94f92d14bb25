import Foundation
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Runs a child process in its own process group with one captured output descriptor, killing the
/// whole group at a deadline or when the child is done.
enum Subprocess {
    /// Runs `arguments[0]` (an absolute path) with `arguments`, the environment `environment`
    /// ("KEY=value" entries), standard input, output and error on /dev/null, and a pipe on descriptor
    /// `captured` (1 for standard output, or 3 and up).
    ///
    /// Reading stops at end of file, when the output ends with `endMarker`, or at `timeout` seconds;
    /// then the child's process group (every process it forked) is killed with SIGKILL and the child
    /// reaped. Returns what the child wrote to the captured descriptor (UTF-8, lossy), or nil when the
    /// process could not be started.
    static func run(_ arguments: [String], environment: [String], captured: Int32, endMarker: String? = nil,
                    timeout: Double) -> String? {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        // Keep both ends out of every child (close-on-exec) and away from descriptors 0...9, so that
        // the dup2 onto `captured` below always makes a fresh, inheritable copy.
        let readEnd = fcntl(fds[0], F_DUPFD_CLOEXEC, 10), writeEnd = fcntl(fds[1], F_DUPFD_CLOEXEC, 10)
        close(fds[0])
        close(fds[1])
        defer { close(readEnd) }
        guard readEnd >= 0, writeEnd >= 0 else {
            if writeEnd >= 0 { close(writeEnd) }
            return nil
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 where fd != captured {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, writeEnd, captured)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var allSignals = sigset_t(), noSignals = sigset_t()
        sigfillset(&allSignals)
        sigemptyset(&noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        close(writeEnd)
        guard spawned == 0 else { return nil }

        var output = [UInt8]()
        let deadline = Date(timeIntervalSinceNow: timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { break }
            var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining * 1000, 1000).rounded(.up)))
            if ready < 0 && errno != EINTR { break }
            guard ready > 0 else { continue }
            let n = read(readEnd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            output += buffer[0..<n]
            if let endMarker, output.count >= endMarker.utf8.count, output.suffix(endMarker.utf8.count).elementsEqual(endMarker.utf8) {
                break
            }
        }
        // The child is not reaped yet, so its process group id cannot have been reused.
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return String(decoding: output, as: UTF8.self)
    }

    /// The absolute path of `program`: itself when it contains a '/', else the first executable
    /// `program` on `PATH`.
    static func locate(_ program: String) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
