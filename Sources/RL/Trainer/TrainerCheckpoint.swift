import Checkpoint
import DLLM
import Foundation
import Kernels

extension RLTrainer {
    /// Writes the checkpoint of the completed steps (weights, Adam moments, state.json) into
    /// `store`; call it on rank 0 only. `beforePublishing` runs when the files are written,
    /// before the checkpoint becomes visible (see ``CheckpointStore/save(step:model:optimizer:state:beforePublishing:)``).
    public func saveCheckpoint(to store: CheckpointStore, worldSize: Int,
                               beforePublishing: () throws -> Void = {}) throws -> CheckpointSaveResult {
        let state = TrainingState(step: completedSteps, updates: optimizer.updates, config: config, worldSize: worldSize)
        let entries = model.layout.entries
        func views(_ buffer: FlatBuffer, _ name: (String) -> String) -> [TensorView] {
            entries.map { entry in
                TensorView(name: name(entry.name), shape: entry.shape,
                           floats: UnsafeBufferPointer(start: buffer.pointer + entry.offset, count: entry.count))
            }
        }
        let optimizerViews = views(optimizer.m, OptimizerTensorName.expAvg) + views(optimizer.v, OptimizerTensorName.expAvgSq)
        return try store.save(step: completedSteps, model: views(model.parameters, { $0 }), optimizer: optimizerViews,
                              state: try state.encoded(), beforePublishing: beforePublishing)
    }

    /// Loads weights and Adam moments from `checkpoint` (verifying every file on the way), sets
    /// the counters, and returns its state. Weights or moments that are not all finite (a
    /// checkpoint forged or written by another program) are refused with exit 70.
    public func loadCheckpoint(_ checkpoint: CheckpointDirectory) throws -> TrainingState {
        let entries = model.layout.entries
        func destinations(_ buffer: FlatBuffer, _ name: (String) -> String) -> [TensorDestination] {
            entries.map { entry in
                TensorDestination(name: name(entry.name), shape: entry.shape,
                                  floats: UnsafeMutableBufferPointer(start: buffer.pointer + entry.offset, count: entry.count))
            }
        }
        let data = try checkpoint.load(model: destinations(model.parameters, { $0 }),
                                       optimizer: destinations(optimizer.m, OptimizerTensorName.expAvg)
                                           + destinations(optimizer.v, OptimizerTensorName.expAvgSq))
        let state = try TrainingState(json: data, path: checkpoint.path(of: CheckpointDirectory.stateFile))
        guard model.parameters.isAllFinite, optimizer.m.isAllFinite, optimizer.v.isAllFinite else {
            throw TrainingError.nonFiniteWeights(step: state.step, source: checkpoint.url.path)
        }
        restore(completedSteps: state.step, updates: state.updates)
        return state
    }
}
