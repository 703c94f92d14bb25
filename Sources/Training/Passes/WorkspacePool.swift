import DLLM

/// The activation workspaces of a thread's passes, kept while their shape stays the same.
///
/// BGPO, elbo-exact, diffu-GRPO and supervised training ask for one workspace, VRPO-OL for n_t of
/// them (all alive until their backward passes): that is where VRPO-OL's memory grows with n_t.
final class WorkspacePool {
    private var shape: (batch: Int, seq: Int) = (0, 0)
    private var workspaces: [Workspace] = []

    /// `count` workspaces of `model` (``ForwardModel/makeWorkspace(batch:seq:)``) for `batch`
    /// sequences of `seq` positions; the previous ones are released first when the shape changes.
    /// One pool serves one model (or a model and its reference: their workspaces are alike).
    func workspaces(count: Int, model: any ForwardModel, batch: Int, seq: Int) -> [Workspace] {
        if shape != (batch, seq) {
            workspaces = []
            shape = (batch, seq)
        }
        while workspaces.count < count {
            workspaces.append(model.makeWorkspace(batch: batch, seq: seq))
        }
        return Array(workspaces.prefix(count))
    }

    /// Releases every workspace.
    func release() {
        workspaces = []
        shape = (0, 0)
    }
}
