import Base
import DLLM
import Foundation
import RunConfig

/// One response as a sequence-level (ELBO) objective sees it.
public struct ELBOResponse: Sendable {
    /// Its n_t masked copies, drawn once per response and reused for the old and current policy.
    public var samples: [MaskedSample]
    /// Its advantage A.
    public var advantage: Double
    /// The old policy's term `l_old(j)` of each sample, computed once without gradient
    /// (``ELBOObjective/terms(model:responses:)``); nil when the current parameters are the old
    /// ones, and the terms of the current pass are used.
    public var oldTerms: [Double]?

    /// Creates a response.
    public init(samples: [MaskedSample], advantage: Double, oldTerms: [Double]? = nil) {
        precondition(!samples.isEmpty, "ELBOResponse: at least one masked sample")
        precondition(oldTerms == nil || oldTerms!.count == samples.count, "ELBOResponse: one old term per sample")
        self.samples = samples
        self.advantage = advantage
        self.oldTerms = oldTerms
    }
}

/// What one pass of an ELBO objective produced.
public struct ELBOPassResult: Sendable {
    /// The objective value of each response (`R_lb` for BGPO, `R_hat` for VRPO-OL and elbo-exact,
    /// minus the clipped loss with `bgpo_clip`); the pass's loss is `-sum / N`.
    public var values: [Double]
    /// Loss sum (`-sum(values)`), clip counts and `B_old - B_theta` sums.
    public var statistics: ObjectiveStatistics
}

/// The sequence-level objectives that use Monte-Carlo ELBO estimates (docs/algorithm.md §4–§5):
/// BGPO, VRPO-OL and elbo-exact.
///
/// ``accumulate(model:responses:gradients:)`` adds the gradient of `-sum_r value_r` into the flat
/// gradient buffer (the trainer divides by the global response count after the all-reduce).
/// Responses are processed in micro-batches of ``microBatchSize`` sequences; sample j of every
/// response of a micro-batch goes through the model together.
public final class ELBOObjective {
    /// How the objective and its gradient are computed.
    public enum Method: Sendable, Equatable {
        /// BGPO's linear lower bound, per sample: `g_j = rho_j A / n_t` with the ratio
        /// `rho_j = 1 + d_j` (A > 0) or `exp(d_j)` (A <= 0) for ``BGPOBound/both``, or the one form
        /// `bound` names for every A; d_j = l_theta(j) - l_old(j). One forward and one backward per
        /// sample, one workspace whatever n_t. With a clip, the reference code's per-sample PPO and
        /// dual clip of `rho_j`.
        case bgpo(bound: BGPOBound = .both, clip: PPOClip?)
        /// `R = exp(B_theta - B_old) A`, B the mean of the n_t terms, as the literature implements it:
        /// the n_t forward passes all stay alive (n_t workspaces) until their backward passes.
        case vrpoOL
        /// VRPO-OL's objective and exact gradient at constant memory: forward passes only for
        /// `B_theta`, then forward and backward per sample with coefficient `R / n_t`.
        case elboExact
    }

    /// The objective.
    public let method: Method
    /// How the n_t masked copies of a response are drawn (the trainer's inputs,
    /// ``inputs(of:model:iterations:offPolicy:)``).
    public let masking: LikelihoodMasking
    /// Responses per forward pass.
    public let microBatchSize: Int
    /// The token written at left-padding positions.
    public let padTokenID: Int32
    private let lanes: PassLanes

    /// Creates the objective; its passes run side by side on up to `lanes` threads (``PassLanes``).
    public init(method: Method, masking: LikelihoodMasking, microBatchSize: Int, padTokenID: Int32, lanes: Int = 1) {
        precondition(microBatchSize > 0, "ELBOObjective: micro-batch size must be positive")
        self.lanes = PassLanes(lanes: lanes)
        self.method = method
        self.masking = masking
        self.microBatchSize = microBatchSize
        self.padTokenID = padTokenID
    }

    /// The terms `l(j)` of every sample of every response at the model's current parameters,
    /// forward passes only: the old policy's terms before an off-policy update.
    public func terms(model: any ForwardModel, responses: [ELBOResponse]) -> [[Double]] {
        let chunks = microBatches(responses)
        let units = samplePasses(of: chunks)
        let terms = lanes.run(units: units.count, model: model, gradients: nil) { u, pool, _ in
            forwardSample(units[u].sample, of: chunks[units[u].chunk], model: model, pool: pool).terms
        }
        var result = responses.map { [Double]($0.samples.indices.map { _ in 0 }) }
        for (unit, passTerms) in zip(units, terms) {
            for (b, term) in passTerms.enumerated() {
                result[chunks[unit.chunk].startIndex + b][unit.sample] = term
            }
        }
        return result
    }

    /// Adds the gradient of `-sum_r value_r` over `responses` into `gradients` and returns the values.
    ///
    /// BGPO's passes (one per sample of each micro-batch) and VRPO-OL's and elbo-exact's (one
    /// micro-batch each) run side by side (``PassLanes``); the values and statistics are summed in
    /// the order of the passes one after another.
    public func accumulate(model: any TrainableModel, responses: [ELBOResponse], gradients: FlatBuffer) -> ELBOPassResult {
        let chunks = microBatches(responses)
        var values: [Double] = []
        values.reserveCapacity(responses.count)
        var statistics = ObjectiveStatistics()
        switch method {
        case .bgpo(let bound, let clip):
            let units = samplePasses(of: chunks)
            let parts = lanes.run(units: units.count, model: model, gradients: gradients) { u, pool, gradients in
                bgpoSample(units[u].sample, of: chunks[units[u].chunk], bound: bound, clip: clip, model: model, pool: pool,
                           gradients: gradients!)
            }
            var next = 0
            for chunk in chunks {
                var chunkValues = [Double](repeating: 0, count: chunk.count)
                var logRatios = [Double](repeating: 0, count: chunk.count)
                for _ in chunk.first!.samples.indices {
                    let part = parts[next]
                    next += 1
                    for b in chunkValues.indices {
                        chunkValues[b] += part.values[b]
                        logRatios[b] += part.logRatios[b]
                    }
                    statistics.clipCandidates += part.clipCandidates
                    statistics.clippedCount += part.clippedCount
                }
                recordLogRatios(logRatios, into: &statistics)
                values.append(contentsOf: chunkValues)
            }
        case .vrpoOL, .elboExact:
            let parts = lanes.run(units: chunks.count, model: model, gradients: gradients) { c, pool, gradients in
                method == .vrpoOL ? accumulateVRPO(chunks[c], model: model, pool: pool, gradients: gradients!)
                    : accumulateExact(chunks[c], model: model, pool: pool, gradients: gradients!)
            }
            for part in parts {
                recordLogRatios(part.logRatios, into: &statistics)
                values.append(contentsOf: part.values)
            }
        }
        statistics.lossSum = -values.reduce(0, +)
        return ELBOPassResult(values: values, statistics: statistics)
    }

    /// Releases the activation workspaces until the next pass.
    public func releaseWorkspaces() {
        lanes.release()
    }

    // MARK: - The three methods, on one micro-batch

    /// What BGPO's pass of one sample adds to its micro-batch's values, log-ratios and clip counts.
    private struct BGPOSamplePart {
        var values: [Double]
        var logRatios: [Double]
        var clipCandidates = 0.0
        var clippedCount = 0.0
    }

    /// BGPO's forward and backward pass of sample `j` of every response of `chunk`.
    private func bgpoSample(_ j: Int, of chunk: ArraySlice<ELBOResponse>, bound: BGPOBound, clip: PPOClip?,
                            model: any TrainableModel, pool: WorkspacePool, gradients: FlatBuffer) -> BGPOSamplePart {
        let scale = 1 / Double(chunk.first!.samples.count)
        var part = BGPOSamplePart(values: [Double](repeating: 0, count: chunk.count),
                                  logRatios: [Double](repeating: 0, count: chunk.count))
        let pass = forwardSample(j, of: chunk, model: model, pool: pool)
        var dTerms = [Float](repeating: 0, count: chunk.count)
        for (b, response) in chunk.enumerated() {
            let a = response.advantage
            let d = pass.terms[b] - (response.oldTerms?[j] ?? pass.terms[b])
            part.logRatios[b] = d * scale
            // rho and d(rho)/dl: 1 + d and 1 (the tangent form), or exp(d) twice.
            let (rho, dRho) = bound.usesTangent(advantage: a) ? (1 + d, 1.0) : (exp(d), exp(d))
            if let clip {
                let (loss, clipped) = clip.loss(ratio: rho, advantage: a)
                part.values[b] = -(loss * scale)
                part.clipCandidates += 1
                if clipped {
                    part.clippedCount += 1
                } else {
                    // d(loss)/dl = -A * d(rho)/dl
                    dTerms[b] = Float(-a * dRho * scale)
                }
            } else {
                part.values[b] = rho * a * scale
                dTerms[b] = Float(-a * dRho * scale)
            }
        }
        LikelihoodPass.backward(model, pass.batch, pass.workspace, dTerms: dTerms, gradients: gradients)
        return part
    }

    private func accumulateVRPO(_ chunk: ArraySlice<ELBOResponse>, model: any TrainableModel, pool: WorkspacePool,
                                gradients: FlatBuffer) -> SequenceRatios {
        let samples = chunk.first!.samples.count
        // Every sample's activations stay alive until the backward passes: n_t workspaces.
        var passes: [SamplePass] = []
        for j in 0..<samples {
            passes.append(forwardSample(j, of: chunk, model: model, pool: pool, workspaceIndex: j, workspaces: samples))
        }
        let terms = chunk.indices.map { b in passes.map { $0.terms[b - chunk.startIndex] } }
        let ratios = sequenceRatios(chunk, terms: terms)
        for pass in passes {
            LikelihoodPass.backward(model, pass.batch, pass.workspace, dTerms: ratios.dTerms, gradients: gradients)
        }
        return ratios
    }

    private func accumulateExact(_ chunk: ArraySlice<ELBOResponse>, model: any TrainableModel, pool: WorkspacePool,
                                 gradients: FlatBuffer) -> SequenceRatios {
        let samples = chunk.first!.samples.count
        var terms = [[Double]](repeating: [], count: chunk.count)
        var last: SamplePass?
        for j in 0..<samples {
            last = forwardSample(j, of: chunk, model: model, pool: pool)
            for (b, term) in last!.terms.enumerated() { terms[b].append(term) }
        }
        let ratios = sequenceRatios(chunk, terms: terms)
        // The workspace still holds the last sample's forward pass: its backward comes first, then
        // the other samples are recomputed one at a time.
        LikelihoodPass.backward(model, last!.batch, last!.workspace, dTerms: ratios.dTerms, gradients: gradients)
        for j in 0..<(samples - 1) {
            let pass = forwardSample(j, of: chunk, model: model, pool: pool)
            LikelihoodPass.backward(model, pass.batch, pass.workspace, dTerms: ratios.dTerms, gradients: gradients)
        }
        return ratios
    }

    /// VRPO-OL's and elbo-exact's values of a micro-batch's responses, the gradient coefficients
    /// of their terms and their log-ratios `B_theta - B_old`.
    private struct SequenceRatios {
        var values: [Double] = []
        var dTerms: [Float] = []
        var logRatios: [Double] = []
    }

    /// `R = exp(B_theta - B_old) A` per response and the gradient coefficient `-R / n_t` of each term.
    private func sequenceRatios(_ chunk: ArraySlice<ELBOResponse>, terms: [[Double]]) -> SequenceRatios {
        let samples = Double(chunk.first!.samples.count)
        var ratios = SequenceRatios()
        for (b, response) in chunk.enumerated() {
            let current = terms[b].reduce(0, +) / samples
            let old = response.oldTerms.map { $0.reduce(0, +) / samples } ?? current
            let value = exp(current - old) * response.advantage
            ratios.values.append(value)
            ratios.dTerms.append(Float(-value / samples))
            ratios.logRatios.append(current - old)
        }
        return ratios
    }

    private func recordLogRatios(_ logRatios: [Double], into statistics: inout ObjectiveStatistics) {
        for ratio in logRatios {
            statistics.klSum -= ratio
            statistics.klCount += 1
        }
    }

    // MARK: - Layout

    private func microBatches(_ responses: [ELBOResponse]) -> [ArraySlice<ELBOResponse>] {
        stride(from: 0, to: responses.count, by: microBatchSize).map {
            responses[$0..<min($0 + microBatchSize, responses.count)]
        }
    }

    /// One sample's forward pass over a micro-batch: its layout, its workspace and its terms.
    private struct SamplePass {
        var batch: MaskedBatch
        var workspace: Workspace
        var terms: [Double]
    }

    /// The passes of one sample each, in the order of one after another: micro-batch by
    /// micro-batch, sample by sample.
    private func samplePasses(of chunks: [ArraySlice<ELBOResponse>]) -> [(chunk: Int, sample: Int)] {
        chunks.indices.flatMap { c in chunks[c].first!.samples.indices.map { (chunk: c, sample: $0) } }
    }

    /// Runs the forward pass of sample `j` of every response of `chunk` in workspace
    /// `workspaceIndex` of `workspaces` alive ones of `pool`.
    private func forwardSample(_ j: Int, of chunk: ArraySlice<ELBOResponse>, model: any ForwardModel, pool: WorkspacePool,
                               workspaceIndex: Int = 0, workspaces: Int = 1) -> SamplePass {
        let seq = chunk.map { $0.samples[j].tokens.count }.max()!
        let batch = MaskedBatch(samples: chunk.map { $0.samples[j] }, batch: chunk.count, seq: seq, padTokenID: padTokenID)
        let workspace = pool.workspaces(count: workspaces, model: model, batch: chunk.count, seq: seq)[workspaceIndex]
        model.forward(batch, workspace: workspace)
        return SamplePass(batch: batch, workspace: workspace,
                          terms: elboTermsForward(batch, logits: workspace.logits, vocab: model.config.vocabSize))
    }
}

extension BGPOBound {
    /// Whether a sample of a response with advantage `a` takes the tangent form `1 + d` of the
    /// ratio rather than `exp(d)`. (At A = 0 both forms give a zero value and gradient.)
    func usesTangent(advantage a: Double) -> Bool {
        switch self {
        case .both: a > 0
        case .taylor: true
        case .jensen: false
        }
    }
}
