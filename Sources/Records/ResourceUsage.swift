import Foundation
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Memory use of this process, as the operating system accounts it.
public enum ResourceUsage {
    /// The peak resident set size of this process so far, in bytes (`getrusage` `ru_maxrss`).
    public static var peakResidentBytes: Int {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024   // kilobytes on Linux
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss)          // bytes on macOS
        #endif
    }

    /// The peak resident set size in MiB, as recorded in `max_rss_mb`.
    public static var peakResidentMB: Double {
        Double(peakResidentBytes) / 1_048_576
    }

    /// The resident set's high-water mark from `/proc/self/status` (`VmHWM`), in bytes, where
    /// procfs exists.
    public static var highWaterMarkBytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kb = Int(fields[1]) { return kb * 1024 }
        }
        return nil
    }
}
