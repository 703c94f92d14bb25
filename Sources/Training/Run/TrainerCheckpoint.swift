import Base
import Checkpoint
import Foundation
import ModelFiles

extension RLTrainer {
    /// Writes the checkpoint of the completed steps (trainable weights, Adam moments, state.json) into
    /// `store`; call it on rank 0 only. `beforePublishing` runs when the files are written,
    /// before the checkpoint becomes visible (see ``CheckpointStore/save(step:model:optimizer:state:beforePublishing:)``).
    public func saveCheckpoint(to store: CheckpointStore, worldSize: Int,
                               beforePublishing: () throws -> Void = {}) throws -> CheckpointSaveResult {
        var state = TrainingState(step: completedSteps, updates: optimizer.updates, config: config, worldSize: worldSize)
        state.baseDigest = baseDigest
        let layout = model.trainableLayout
        let optimizerViews = layout.tensorViews(of: optimizer.m, naming: OptimizerTensorName.expAvg)
            + layout.tensorViews(of: optimizer.v, naming: OptimizerTensorName.expAvgSq)
        return try store.save(step: completedSteps, model: layout.tensorViews(of: model.trainableParameters), optimizer: optimizerViews,
                              state: try state.encoded(), beforePublishing: beforePublishing)
    }

    /// Loads trainable weights and Adam moments from `checkpoint` (verifying every file on the way), sets
    /// the counters, and returns its state. Weights or moments that are not all finite (a
    /// checkpoint forged or written by another program) are refused with exit 70.
    public func loadCheckpoint(_ checkpoint: CheckpointDirectory) throws -> TrainingState {
        let layout = model.trainableLayout
        let data = try checkpoint.load(model: layout.tensorDestinations(in: model.trainableParameters),
                                       optimizer: layout.tensorDestinations(in: optimizer.m, naming: OptimizerTensorName.expAvg)
                                           + layout.tensorDestinations(in: optimizer.v, naming: OptimizerTensorName.expAvgSq))
        let state = try TrainingState(json: data, path: checkpoint.path(of: CheckpointDirectory.stateFile))
        guard model.trainableParameters.isAllFinite, optimizer.m.isAllFinite, optimizer.v.isAllFinite else {
            throw TrainingError.nonFiniteWeights(step: state.step, source: checkpoint.url.path)
        }
        restore(completedSteps: state.step, updates: state.updates)
        return state
    }
}
