import Base

/// Writes `line` and a newline straight to standard output (unbuffered), so that progress shows
/// up in log files as it happens.
func printLine(_ line: String) {
    StandardStream.output.writeLog(line + "\n")
}
