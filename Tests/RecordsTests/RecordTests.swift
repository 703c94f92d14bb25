import Foundation
import Records
import Testing

@Test func metricsRecordRoundTripsThroughJSON() throws {
    var record = MetricsRecord(step: 7)
    record["reward"] = 0.25
    record["timing_s/rollout"] = 1.5e-7
    record["loss"] = .nan
    let line = record.jsonLine
    #expect(line.hasPrefix("{\"step\": 7, \"reward\": 0.25, \"timing_s/rollout\": "))
    #expect(line.hasSuffix("\"loss\": null}"))
    let parsed = try MetricsRecord(jsonLine: line)
    #expect(parsed.step == 7)
    #expect(parsed["reward"] == 0.25)
    #expect(parsed["timing_s/rollout"] == 1.5e-7)
    #expect(parsed["loss"]?.isNaN == true)
}

@Test func metricsLogKeepsOnlyCheckpointedStepsOnResume() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rl-metrics-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    do {
        let log = try MetricsLog(runDirectory: directory, keepingStepsThrough: nil)
        for step in 0...5 { try log.append(MetricsRecord(step: step)) }
    }
    do {
        let log = try MetricsLog(runDirectory: directory, keepingStepsThrough: 3)
        try log.append(MetricsRecord(step: 4))
    }
    #expect(try MetricsLog.read(directory.appendingPathComponent("metrics.jsonl")).map(\.step) == [0, 1, 2, 3, 4])
    _ = try MetricsLog(runDirectory: directory, keepingStepsThrough: nil)
    #expect(try MetricsLog.read(directory.appendingPathComponent("metrics.jsonl")).isEmpty)
}

@Test func reportOverlaysRunsInInlineSVG() {
    func run(_ name: String, _ slope: Double) -> RunReport.Run {
        RunReport.Run(name: name, records: (1...20).map { step in
            var record = MetricsRecord(step: step)
            record["reward"] = slope * Double(step)
            record["loss"] = -Double(step)
            if step % 10 == 0 { record["eval/accuracy"] = 0.01 * Double(step) }
            return record
        })
    }
    let html = RunReport(runs: [run("bgpo <16>", 0.01), run("vrpo-ol", 0.02)]).html
    #expect(html.contains("<!DOCTYPE html>"))
    #expect(html.components(separatedBy: "<svg").count - 1 == 3)   // reward, accuracy, loss
    #expect(html.contains("bgpo &lt;16&gt;"))
    #expect(html.components(separatedBy: "<polyline").count - 1 == 6)
}

@Test func peakMemoryIsMeasured() {
    #expect(ResourceUsage.peakResidentBytes > 1_000_000)
    if let hwm = ResourceUsage.highWaterMarkBytes { #expect(hwm > 1_000_000) }
}
