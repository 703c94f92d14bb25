import Cluster
import Foundation
import Testing

private let start = Date(timeIntervalSince1970: 1_700_000_000)

@Test func noDeadlineNeverStops() {
    let limit = TimeLimit(deadline: nil, source: .option)
    #expect(limit.source == .none)
    #expect(limit.remainingSeconds(now: start) == nil)
    #expect(!limit.shouldStop(stepSeconds: 1e9, checkpointSeconds: 1e9, now: start))
}

@Test func stopsWhenOneMoreStepAndCheckpointWouldNotFit() {
    let limit = TimeLimit(deadline: start.addingTimeInterval(300), source: .option)
    // margin = 1.5 * (100 + 40) + 30 = 240 s
    #expect(limit.marginSeconds(stepSeconds: 100, checkpointSeconds: 40) == 240)
    #expect(!limit.shouldStop(stepSeconds: 100, checkpointSeconds: 40, now: start.addingTimeInterval(59)))
    #expect(limit.shouldStop(stepSeconds: 100, checkpointSeconds: 40, now: start.addingTimeInterval(60)))
    #expect(limit.shouldStop(stepSeconds: 0, checkpointSeconds: 0, now: start.addingTimeInterval(400)))
    #expect(limit.remainingSeconds(now: start.addingTimeInterval(400)) == -100)
}

@Test func marginParametersAreAdjustable() {
    let limit = TimeLimit(deadline: start.addingTimeInterval(100), source: .slurmJobEnd, safetyFactor: 2,
                          fixedMarginSeconds: 0)
    #expect(limit.marginSeconds(stepSeconds: 10, checkpointSeconds: 5) == 30)
    #expect(!limit.shouldStop(stepSeconds: 10, checkpointSeconds: 5, now: start.addingTimeInterval(69)))
    #expect(limit.shouldStop(stepSeconds: 10, checkpointSeconds: 5, now: start.addingTimeInterval(70)))
}

@Test func resolveTakesTheEarlierDeadline() throws {
    let communicator = SingleProcessCommunicator()
    let job = try SlurmEnvironment(environment: ["SLURM_JOB_ID": "42"])
    let slurmSooner = try TimeLimit.resolve(timeLimitSeconds: 3600, slurm: job, communicator: communicator,
                                            now: start, jobEndTime: { _ in start.addingTimeInterval(600) })
    #expect(slurmSooner.deadline == start.addingTimeInterval(600))
    #expect(slurmSooner.source == .slurmJobEnd)
    #expect(slurmSooner.warning == nil)

    let optionSooner = try TimeLimit.resolve(timeLimitSeconds: 60, slurm: job, communicator: communicator,
                                             now: start, jobEndTime: { _ in start.addingTimeInterval(600) })
    #expect(optionSooner.deadline == start.addingTimeInterval(60))
    #expect(optionSooner.source == .option)

    let unlimitedJob = try TimeLimit.resolve(timeLimitSeconds: nil, slurm: job, communicator: communicator,
                                             now: start, jobEndTime: { _ in nil })
    #expect(unlimitedJob.deadline == nil)
    #expect(unlimitedJob.source == .none)
}

@Test func failingSlurmQueryLeavesAWarning() throws {
    let job = try SlurmEnvironment(environment: ["SLURM_JOB_ID": "42"])
    let limit = try TimeLimit.resolve(timeLimitSeconds: 60, slurm: job, communicator: SingleProcessCommunicator(),
                                      now: start, jobEndTime: { _ in
                                          throw ClusterError.slurmQuery(command: "squeue", detail: "no controller")
                                      })
    #expect(limit.deadline == start.addingTimeInterval(60))
    #expect(limit.source == .option)
    #expect(limit.warning?.contains("no controller") == true)
}

@Test func outsideSlurmOnlyTheOptionCounts() throws {
    let limit = try TimeLimit.resolve(timeLimitSeconds: nil, slurm: SlurmEnvironment(environment: [:]),
                                      communicator: SingleProcessCommunicator(), now: start,
                                      jobEndTime: { _ in Issue.record("asked Slurm outside a job"); return nil })
    #expect(limit.deadline == nil)
}
