import ArgumentParser
import Checkpoint

/// The `--dtype` of weights in files: f32, bf16 or f16.
enum WeightDType: String, ExpressibleByArgument, CaseIterable {
    case f32, bf16, f16

    /// The safetensors element type.
    var tensorDType: TensorDType {
        switch self {
        case .f32: .f32
        case .bf16: .bf16
        case .f16: .f16
        }
    }
}
