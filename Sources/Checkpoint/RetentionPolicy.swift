/// Which checkpoints to keep after a save: the newest `saveTotalLimit`, plus every one whose step
/// is a multiple of `keepEvery`.
public struct RetentionPolicy: Sendable, Equatable {
    /// How many of the newest checkpoints to keep (at least 1); nil keeps all.
    public var saveTotalLimit: Int?
    /// Also keep every checkpoint whose step is a multiple of this (at least 1); nil keeps no extra.
    public var keepEvery: Int?

    /// Creates a policy; the default keeps everything.
    public init(saveTotalLimit: Int? = nil, keepEvery: Int? = nil) {
        self.saveTotalLimit = saveTotalLimit
        self.keepEvery = keepEvery
    }

    /// Why the policy is invalid, or nil.
    var problem: String? {
        if let limit = saveTotalLimit, limit < 1 { return "saveTotalLimit must be at least 1, got \(limit)" }
        if let every = keepEvery, every < 1 { return "keepEvery must be at least 1, got \(every)" }
        return nil
    }

    /// The steps among `steps` to delete, ascending; never one in `protected`.
    public func stepsToRemove(from steps: [Int], protecting protected: Set<Int>) -> [Int] {
        guard let limit = saveTotalLimit else { return [] }
        let newest = Set(steps.sorted(by: >).prefix(limit))
        return steps.sorted().filter { step in
            !newest.contains(step) && !protected.contains(step) && !(keepEvery.map { step % $0 == 0 } ?? false)
        }
    }
}
