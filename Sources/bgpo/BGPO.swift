import ArgumentParser

/// The `bgpo` command: reinforcement learning for masked-diffusion language models on CPU clusters.
@main
struct BGPO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bgpo",
        abstract: "Memory-efficient RL (BGPO) for masked-diffusion language models on CPU clusters.",
        subcommands: [
            ConfigCommand.self,
            ClusterCommand.self,
            ModelCommand.self, BenchCommand.self,
            ReportCommand.self, TrainCommand.self, StudyCommand.self,
            CheckpointCommand.self,
            ScoreCommand.self,
            SFTCommand.self, SampleCommand.self, EvalCommand.self,
            ImportCommand.self, ExportCommand.self,
        ]
    )
}
