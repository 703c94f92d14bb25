import ArgumentParser
import Foundation
import RL

/// `bgpo report`: an HTML page with the curves of one or more runs.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML page with plots of runs' metrics.jsonl.",
        discussion: """
            Plots reward, test accuracy, loss, gradient norm, step time and peak memory (and KL and \
            completion length when present) against the step, several runs overlaid with a legend, \
            as inline SVG: the page needs no network and no script. Exit codes: 0 written, 65 a \
            metrics file that cannot be parsed, 74 a file that cannot be read or written.
            """
    )

    @Argument(help: ArgumentHelp("Run directories, each holding a metrics.jsonl.", valueName: "run-dir"))
    var runDirectories: [String]

    @Option(help: ArgumentHelp("The HTML file to write.", valueName: "file"))
    var out = "report.html"

    func validate() throws {
        guard !runDirectories.isEmpty else { throw ValidationError("give at least one run directory") }
    }

    func run() throws {
        let runs = try runDirectories.map { try RunReport.Run(directory: URL(fileURLWithPath: $0, isDirectory: true)) }
        let url = URL(fileURLWithPath: out)
        do {
            try Data(RunReport(runs: runs).html.utf8).write(to: url, options: .atomic)
        } catch {
            throw RecordError.io(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
        print("wrote \(url.path) (\(runs.count) run\(runs.count == 1 ? "" : "s"): \(runs.map(\.name).joined(separator: ", ")))")
    }
}
