// swift-tools-version:6.0
//
// bgpo: memory-efficient reinforcement learning for masked-diffusion language models on CPU clusters.
//
// Swift code is compiled for x86-64-v3 (AVX2 + FMA, every x86 server since 2013) by default.
// Set BGPO_MARCH to build for another target, for example `BGPO_MARCH=x86-64-v4 swift build -c release`
// for AVX-512 nodes, or `BGPO_MARCH=native`. `BGPO_MARCH=none` leaves the compiler's default (baseline x86-64).
import PackageDescription

let march = Context.environment["BGPO_MARCH"] ?? "x86-64-v3"
let codegen: [SwiftSetting] = march == "none" ? [] : [.unsafeFlags(["-Xcc", "-march=\(march)"])]

let package = Package(
    name: "bgpo",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "bgpo", targets: ["bgpo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),

        .target(name: "CSignals"),
        // The FMA peak loop is measured, so it is optimised in debug builds too; its functions pick
        // their instruction sets with target attributes, not -march.
        .target(name: "CPeak", cSettings: [.unsafeFlags(["-O2"])]),
        // cpuid: the instruction sets the CPU runs and its brand string.
        .target(name: "CCPUID"),
        // The rollouts' matrix products over weights packed once per phase: F32 (AVX-512) and
        // bfloat16 (AVX512_BF16, `rollout.compute_dtype = "bf16"`), target attributes, chosen at run
        // time; optimised in debug builds too, like CPeak.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),

        // The project's base: exit statuses, counter-based random streams, flat buffers, BF16, standard
        // streams, checked arithmetic, the machine (cpuid, FMA peak).
        .target(name: "Base", dependencies: ["CPeak", "CCPUID"], swiftSettings: codegen),
        // No errno from sqrt in the kernels: Float.squareRoot() then becomes one instruction that vectorises.
        .target(name: "Kernels", dependencies: ["Base", "COpenBLAS", "CKernels"],
                swiftSettings: codegen + [.unsafeFlags(["-Xcc", "-fno-math-errno"])]),
        .target(name: "DLLM", dependencies: ["Base", "Kernels"], swiftSettings: codegen),
        .target(name: "Tasks", dependencies: ["Base"],
                exclude: ["Datasets/LICENSE-d1-Apache-2.0.txt", "Datasets/generate_standard_splits.py"],
                swiftSettings: codegen),
        .target(name: "Cluster", dependencies: ["Base", "CMPI", "CSignals"], swiftSettings: codegen),
        .target(name: "Checkpoint", dependencies: ["Base", "CZstd", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: codegen),
        // Model directories and Hugging Face import/export.
        .target(name: "ModelFiles", dependencies: ["Base", "DLLM", "Checkpoint"], swiftSettings: codegen),
        // The run configuration: keys, readers, presets, validation, study files.
        .target(name: "RunConfig", dependencies: [
            "Base", "DLLM", "Tasks", .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: codegen),
        // What runs leave behind: metrics, resource usage, accuracies, reports over runs and seeds.
        .target(name: "Records", dependencies: ["Base", "RunConfig"], swiftSettings: codegen),
        // Optimisation, the RL and supervised trainers, and the run around them.
        .target(name: "Training", dependencies: [
            "Base", "Kernels", "DLLM", "Tasks", "Cluster", "Checkpoint", "ModelFiles", "RunConfig", "Records",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: codegen),
        .executableTarget(name: "bgpo", dependencies: [
            "Base", "Kernels", "DLLM", "Tasks", "Cluster", "Checkpoint", "ModelFiles", "RunConfig", "Records", "Training",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: codegen),

        // What several test targets share: child processes, temporary directories, a random model.
        .target(name: "TestSupport", dependencies: ["Base", "DLLM"], path: "Tests/TestSupport"),
        .testTarget(name: "BaseTests", dependencies: ["Base"]),
        .testTarget(name: "KernelsTests", dependencies: ["Base", "Kernels"]),
        .testTarget(name: "DLLMTests", dependencies: ["Base", "Kernels", "DLLM", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TasksTests", dependencies: ["Base", "Tasks"]),
        .testTarget(name: "ClusterTests", dependencies: ["Base", "Cluster"]),
        .testTarget(name: "CheckpointTests", dependencies: ["Base", "Checkpoint", "TestSupport"]),
        .testTarget(name: "ModelFilesTests", dependencies: ["Base", "DLLM", "Checkpoint", "ModelFiles", "TestSupport"]),
        .testTarget(name: "RunConfigTests", dependencies: ["Base", "DLLM", "Tasks", "RunConfig", "TestSupport"]),
        .testTarget(name: "RecordsTests", dependencies: ["Base", "RunConfig", "Records", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: [
            "Base", "Kernels", "DLLM", "Tasks", "Cluster", "Checkpoint", "ModelFiles", "RunConfig", "Records",
            "Training", "TestSupport",
        ], resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: ["bgpo", "Base", "Kernels", "DLLM", "Checkpoint", "TestSupport"]),
    ]
)

// Fuzz targets for the parsers of untrusted files (Tests/Fuzz), only with BGPO_FUZZ=1 so that the
// normal build is unchanged; env/fuzz.sh builds them with libFuzzer and AddressSanitizer.
if Context.environment["BGPO_FUZZ"] == "1" {
    package.products.append(.executable(name: "bgpo-fuzz", targets: ["BGPOFuzz"]))
    package.targets.append(.target(name: "CFuzzDriver", path: "Tests/Fuzz/Driver"))
    package.targets.append(.executableTarget(name: "BGPOFuzz", dependencies: [
        "CFuzzDriver", "Base", "Checkpoint", "DLLM", "Tasks", "ModelFiles", "RunConfig", "Training", .product(name: "Crypto", package: "swift-crypto"),
    ], path: "Tests/Fuzz/Targets"))
}
