import Base
import DLLM

/// One response that enters the objective, as the RL trainer hands it to a ``PolicyObjective``:
/// the indices that key its random streams, its tokens and its advantage.
public struct PolicyResponse: Sendable, Equatable {
    /// The RL step (the first is 1).
    public var step: Int
    /// The global problem index of its prompt.
    public var promptIndex: UInt64
    /// Its index in its prompt's group (0..<G).
    public var responseIndex: Int
    /// The prompt's tokens (BOS included).
    public var prompt: [Int32]
    /// The response's L tokens (EOS padding included).
    public var response: [Int32]
    /// Its advantage A.
    public var advantage: Double

    /// Creates a response.
    public init(step: Int, promptIndex: UInt64, responseIndex: Int, prompt: [Int32], response: [Int32],
                advantage: Double) {
        self.step = step
        self.promptIndex = promptIndex
        self.responseIndex = responseIndex
        self.prompt = prompt
        self.response = response
        self.advantage = advantage
    }

    /// The indices that key its sampler stream and diffu-GRPO's prompt-mask stream:
    /// (step, global prompt index, response index).
    public var key: [UInt64] { Self.key(step: step, promptIndex: promptIndex, responseIndex: responseIndex) }

    /// The indices that key response `responseIndex` of the prompt with global index
    /// `promptIndex` in step `step`.
    public static func key(step: Int, promptIndex: UInt64, responseIndex: Int) -> [UInt64] {
        [UInt64(step), promptIndex, UInt64(responseIndex)]
    }
}

/// A policy-gradient objective of the RL trainer, with the state its passes keep (workspaces).
///
/// The trainer hands each mini-batch's share of responses to ``inputs(of:model:iterations:offPolicy:)``
/// once per step and gets back one ``Inputs`` value per share, which only this objective's
/// ``accumulate(_:iteration:onPolicy:model:gradients:)`` reads: an objective cannot be given
/// another objective's inputs. ``ELBOObjective`` (BGPO, VRPO-OL, elbo-exact) reads masked samples
/// with their advantages, ``DiffuGRPOObjective`` token-level responses with their old and
/// reference log-probabilities.
public protocol PolicyObjective: AnyObject {
    /// What the passes over one mini-batch share read.
    associatedtype Inputs

    /// Whether a response with `advantage` enters the objective: only a non-zero advantage moves
    /// the gradient, unless a KL term against a reference policy makes every response count.
    func entersObjective(advantage: Double) -> Bool

    /// The inputs of each mini-batch's share, in order: what the responses' passes read and,
    /// when `offPolicy` (the step makes more than one update), the old policy's values (and the
    /// reference policy's) computed now at `model`'s parameters, forward passes only, for each of
    /// the step's `iterations` inner iterations when they differ between iterations.
    func inputs(of shares: [[PolicyResponse]], model: any TrainableModel, iterations: Int, offPolicy: Bool) -> [Inputs]

    /// Adds the gradient of the loss summed over `share` in inner iteration `iteration` into
    /// `gradients` and returns its statistics; `onPolicy` (the current parameters are the old
    /// ones) leaves the old-policy values out, so that every log-ratio is exactly 0.
    func accumulate(_ share: Inputs, iteration: Int, onPolicy: Bool, model: any TrainableModel,
                    gradients: FlatBuffer) -> ObjectiveStatistics

    /// The units a mini-batch's summed loss is divided by, counted over `responses` (every
    /// response of the mini-batch this rank rolled out, zero advantages included, each of
    /// `completionLength` tokens): summed over the ranks, the update's N.
    func units(of responses: [[Int32]], completionLength: Int) -> Double

    /// What decides the likelihood masks of `response`, for the step's ``RolloutDigest``.
    func maskWords(of response: PolicyResponse) -> [UInt64]

    /// Releases the activation workspaces until the next pass.
    func releaseWorkspaces()
}
