extension RunConfig {
    /// Settings that are valid but probably not meant, one line each naming the keys involved;
    /// `bgpo config validate` and `bgpo train` print them on stderr and go on.
    ///
    /// - The stratified estimator with `objective.mc_num` not dividing
    ///   `rollout.max_completion_length`: its mask counts `round(k + i L / n_t)` then do not spread
    ///   evenly over 1...L, so the estimate of the ELBO is biased (BGPO, VRPO-OL and elbo-exact;
    ///   diffu-GRPO ignores `mc_num`).
    public var warnings: [String] {
        var lines: [String] = []
        let length = rollout.maxCompletionLength
        let samples = objective.mcNum
        if objective.objective != .diffuGRPO, objective.estimator == .stratified, samples > 0, length % samples != 0 {
            lines.append("warning: objective.mc_num = \(samples) does not divide rollout.max_completion_length = "
                + "\(length): the stratified ELBO estimate is biased; choose an mc_num that divides the length "
                + "(or objective.estimator = \"continuous\")")
        }
        return lines
    }
}
