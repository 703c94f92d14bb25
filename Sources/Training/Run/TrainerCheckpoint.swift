import Base
import Checkpoint
import DLLM
import Foundation
import ModelFiles
import RunConfig

extension CheckpointStore {
    /// The checkpoints of the run in `runDirectory`, with the `checkpoint` section's compression and retention.
    public init(runDirectory: URL, settings: CheckpointSettings) {
        self.init(runDirectory: runDirectory,
                  compression: CompressionOptions(level: settings.compressionLevel, workers: settings.compressionThreads),
                  retention: RetentionPolicy(saveTotalLimit: settings.saveTotalLimit,
                                             keepEvery: settings.keepEvery > 0 ? settings.keepEvery : nil))
    }

    /// Writes the checkpoint of step `step`: the trained `weights` (in `layout`), AdamW's moments and
    /// the `state` bytes (state.json); call it on rank 0 only. `beforePublishing` runs when the files
    /// are written, before the checkpoint becomes visible (see ``save(step:model:optimizer:state:beforePublishing:)``).
    func save(step: Int, weights: FlatBuffer, layout: any TensorLayout, optimizer: OptimizerState, state: Data,
              beforePublishing: () throws -> Void = {}) throws -> CheckpointSaveResult {
        try save(step: step, model: layout.tensorViews(of: weights),
                 optimizer: layout.tensorViews(of: optimizer.m, naming: OptimizerTensorName.expAvg)
                     + layout.tensorViews(of: optimizer.v, naming: OptimizerTensorName.expAvgSq),
                 state: state, beforePublishing: beforePublishing)
    }
}

extension CheckpointDirectory {
    /// Loads the trained `weights` (in `layout`) and AdamW's moments, verifying every file on the way,
    /// and returns the state.json bytes; check the numbers with ``requireFinite(step:)`` once the
    /// state gives the step.
    func load(weights: FlatBuffer, layout: any TensorLayout, optimizer: OptimizerState) throws -> Data {
        try load(model: layout.tensorDestinations(in: weights),
                 optimizer: layout.tensorDestinations(in: optimizer.m, naming: OptimizerTensorName.expAvg)
                     + layout.tensorDestinations(in: optimizer.v, naming: OptimizerTensorName.expAvgSq))
    }

    /// Refuses (exit 70) loaded weights or moments that are not all finite: a checkpoint forged or
    /// written by another program.
    func requireFinite(weights: FlatBuffer, optimizer: OptimizerState, step: Int) throws {
        guard weights.isAllFinite, optimizer.m.isAllFinite, optimizer.v.isAllFinite else {
            throw TrainingError.nonFiniteWeights(step: step, source: url.path)
        }
    }
}

extension RLTrainer {
    /// Writes the checkpoint of the completed steps (trainable weights, Adam moments, state.json) into
    /// `store`; call it on rank 0 only. `beforePublishing` runs when the files are written,
    /// before the checkpoint becomes visible (see ``CheckpointStore/save(step:model:optimizer:state:beforePublishing:)``).
    public func saveCheckpoint(to store: CheckpointStore, worldSize: Int,
                               beforePublishing: () throws -> Void = {}) throws -> CheckpointSaveResult {
        var state = TrainingState(step: completedSteps, updates: optimizer.updates, config: config, worldSize: worldSize)
        state.baseDigest = baseDigest
        return try store.save(step: completedSteps, weights: model.trainableParameters, layout: model.trainableLayout,
                              optimizer: optimizer, state: try state.encoded(), beforePublishing: beforePublishing)
    }

    /// Loads trainable weights and Adam moments from `checkpoint` (verifying every file on the way), sets
    /// the counters, and returns its state. Weights or moments that are not all finite (a
    /// checkpoint forged or written by another program) are refused with exit 70.
    public func loadCheckpoint(_ checkpoint: CheckpointDirectory) throws -> TrainingState {
        let data = try checkpoint.load(weights: model.trainableParameters, layout: model.trainableLayout, optimizer: optimizer)
        let state = try TrainingState(json: data, path: checkpoint.path(of: CheckpointDirectory.stateFile))
        try checkpoint.requireFinite(weights: model.trainableParameters, optimizer: optimizer, step: state.step)
        restore(completedSteps: state.step, updates: state.updates)
        return state
    }
}
