import ArgumentParser
import Base
import Checkpoint
import DLLM
import Foundation
import ModelFiles
import Training

extension ExportCommand {
    /// `bgpo export peft CHECKPOINT --out DIR [--merge]`.
    struct PEFT: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "peft",
            abstract: "Export the LoRA adapters of a training checkpoint as a PEFT adapter directory.",
            discussion: """
                CHECKPOINT is a run's checkpoints/step-N directory (verified first) of a run that trained LoRA \
                adapters (model.lora_rank > 0). Writes adapter_config.json and adapter_model.safetensors with \
                PEFT's names and the run's rank, alpha and targets; PeftModel.from_pretrained loads them onto the \
                base, recorded as base_model_name_or_path (the run's model.path, or its warm start RUN_DIR/base). \
                With --merge, DIR is instead a Hugging Face model directory of the base with the adapters folded \
                in (W + alpha/r B A for every adapted layer, as PEFT's merge_and_unload), written as bgpo export hf \
                writes, one tensor at a time: a model with no adapters to load. \
                DIR must not exist and appears only when complete. A checkpoint of full fine-tuning is refused \
                (exit 64): export its weights with bgpo export hf MODEL --weights CHECKPOINT/model.safetensors.zst.
                """
        )

        @Argument(help: "The checkpoint directory (RUN_DIR/checkpoints/step-N).")
        var checkpoint: String

        @Option(help: "The PEFT adapter directory to create (with --merge: the Hugging Face model directory).")
        var out: String

        @Flag(help: "Write the base with the adapters merged into its weights, as a Hugging Face model directory.")
        var merge = false

        @OptionGroup(title: "With --merge") var writing: HuggingFaceWriteOptions

        func validate() throws {
            guard merge || !writing.isSet else {
                throw ValidationError("--dtype and --max-shard-size apply to --merge only (a PEFT adapter is written in F32)")
            }
        }

        func run() throws {
            let directory = CheckpointDirectory(url: URL(fileURLWithPath: checkpoint, isDirectory: true))
            let summary = try directory.verify()
            let statePath = directory.path(of: CheckpointDirectory.stateFile)
            let config = try TrainingState(json: summary.state, path: statePath).runConfig(path: statePath)
            guard let lora = config.model.lora else {
                throw TrainingError.incompatibleCheckpoint(
                    path: directory.url.path, reason: "its run trained every weight (model.lora_rank = 0), there are no "
                        + "adapters: export the weights with bgpo export hf MODEL --weights \(directory.url.path)/"
                        + "\(ModelStore.compressedWeightsFile)")
            }
            // The base: the run's model.path, else the warm start kept in RUN_DIR/base.
            let base = config.model.path.isEmpty
                ? directory.url.deletingLastPathComponent().deletingLastPathComponent()
                    .appendingPathComponent(BaseModel.directoryName, isDirectory: true)
                : URL(fileURLWithPath: config.model.path, isDirectory: true)
            let shape = try ModelStore.readDescription(from: base).description.config
            let layout = try AdapterLayout(config: shape, lora: lora)
            let adapters = FlatBuffer(count: layout.totalCount)
            _ = try directory.load(model: layout.tensorDestinations(in: adapters), optimizer: nil)
            guard merge else {
                try PEFTAdapter.write(adapters, layout: layout, baseModel: base.path, to: URL(fileURLWithPath: out))
                print("exported the rank-\(lora.rank) adapters of \(directory.url.path) (over \(base.path)) -> \(out)")
                return
            }
            try HuggingFaceExport.export(from: base, to: URL(fileURLWithPath: out), dtype: writing.dtype?.tensorDType,
                                         maxShardBytes: writing.maxShardBytes()) { entry, weight in
                _ = layout.merge(adapters, intoWeightAt: entry.offset, weight)
            }
            print("exported \(base.path) with the rank-\(lora.rank) adapters of \(directory.url.path) merged -> \(out)")
        }
    }
}
