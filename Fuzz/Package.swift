// swift-tools-version:6.0
// libFuzzer harnesses for returnn-lint. A separate package, so that `swift build` and `swift test` of the main
// package never compile it. Build and run with `scripts/fuzz.sh TARGET SECONDS` (from the main package root):
// it passes `-sanitize=fuzzer,address` to every module, so NetConfig and Analyzer are instrumented too.
import PackageDescription

let package = Package(
    name: "returnn-lint-fuzz",
    dependencies: [
        .package(name: "returnn-lint", path: "..")
    ],
    targets: [
        // The checks, shared by the three fuzz targets (plain Swift: no libFuzzer API in here).
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "NetConfig", package: "returnn-lint"),
                .product(name: "Analyzer", package: "returnn-lint"),
            ]
        ),
        // Declares libFuzzer's driver, which `-sanitize=fuzzer` links in.
        .target(name: "CLibFuzzer"),
        // Each executable defines `LLVMFuzzerTestOneInput` and starts libFuzzer's driver from its `main.swift`.
        .executableTarget(name: "fuzz-parse", dependencies: ["FuzzSupport", "CLibFuzzer"]),
        .executableTarget(name: "fuzz-pipeline", dependencies: ["FuzzSupport", "CLibFuzzer"]),
        .executableTarget(name: "fuzz-fix", dependencies: ["FuzzSupport", "CLibFuzzer"]),
    ]
)
