import DLLM
import Testing

@Test(arguments: ModelConfig.presetNames)
func checkedParameterCountIsTheLayoutsTotal(name: String) throws {
    let config = try ModelConfig.preset(name)
    #expect(config.checkedParameterCount == ParameterLayout(config: config).totalCount)
}

@Test func checkedWorkspaceBytesAreTheWorkspacesWithoutPadding() throws {
    let config = try ModelConfig.preset("tiny")
    let bytes = try #require(config.checkedWorkspaceBytes(batch: 3, seq: 12))
    let held = Workspace(config: config, batch: 3, seq: 12).byteCount
    #expect(bytes <= held && held - bytes < 64 * 64, "estimate \(bytes), held \(held)")
}

/// Shapes whose sizes or products cannot be held, and the field or text the refusal names.
private let unholdable: [(String, Int, String)] = [
    ("d_model", 1 << 40, "d_model = 1099511627776 is larger than the maximum 2147483647"),
    ("n_layers", 1_000_000_000_000, "n_layers = 1000000000000 is larger than the maximum 65536"),
    ("max_sequence_length", 1 << 32, "max_sequence_length = 4294967296 is larger than the maximum 2147483647"),
    ("mlp_hidden_size", 1 << 30, "parameters, more than the maximum 1099511627776"),
]

@Test(arguments: unholdable)
func shapesThatCannotBeHeldAreRefused(field: String, value: Int, message: String) throws {
    var config = try ModelConfig.preset("tiny")
    switch field {
    case "d_model": config.dModel = value
    case "n_layers": config.nLayers = value
    case "max_sequence_length": config.maxSeq = value
    default:
        config.dModel = 1 << 30
        config.mlpHidden = value
    }
    let error = try #require(throws: ModelConfigError.self) { try config.validate() }
    #expect(error.exitCode == 64)
    #expect(error.description.contains(message), "\(error)")
}
