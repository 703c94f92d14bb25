import Base
import DLLM
import Foundation
@testable import ModelFiles
@testable import RunConfig
@testable import Training

/// A configuration file or `--set` value that cannot be used is a bad configuration.
private let configCodes: Set<Int32> = [ExitStatus.usage]

/// The largest layer count for which the hf-config target lays out the parameters (one entry per tensor).
private let largestLaidOutLayerCount = 64

/// `state.json` of a checkpoint: decoded, its saved configuration applied and validated.
func fuzzTrainingState(_ data: Data) {
    expectHandled("state.json", codes: [ExitStatus.ioError]) {
        let state = try TrainingState(json: data, path: "fuzz")
        expectHandled("state.json config", codes: configCodes) {
            try state.runConfig(path: "fuzz").validate()
        }
    }
}

/// `state.json` of a `bgpo sft` checkpoint: decoded and checked against a manifest step of 6, its
/// saved configuration applied and validated.
func fuzzSupervisedState(_ data: Data) {
    expectHandled("sft state.json", codes: [ExitStatus.ioError, ExitStatus.usage]) {
        let (_, config) = try SupervisedState.read(json: data, manifestStep: 6, path: "fuzz")
        try config.validate()
    }
}

/// A run configuration, as TOML and as JSON, applied over the defaults and validated (no model is built).
func fuzzRunConfig(_ data: Data) {
    let text = String(decoding: data, as: UTF8.self)
    expectHandled("config toml", codes: configCodes) {
        try RunConfig().applying(toml: text, source: "fuzz.toml").validate()
    }
    expectHandled("config json", codes: configCodes) {
        try RunConfig().applying(json: text, source: "fuzz.json").validate()
    }
}

/// A Hugging Face `config.json`: read, turned into a model configuration and, for a modest layer count,
/// laid out as the import does.
func fuzzHuggingFaceConfig(_ data: Data) {
    let url = scratchFile(data, name: "config.json")
    expectHandled("config.json", codes: [ExitStatus.dataError]) {
        let config = try LLaDAConfigFile.read(url).modelConfig(path: url.path)
        if config.nLayers <= largestLaidOutLayerCount {
            _ = ParameterLayout(config: config).totalCount
        }
    }
}
