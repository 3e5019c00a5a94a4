// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "returnn-lint",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "returnn-lint", targets: ["returnn-lint"]),
        .library(name: "NetConfig", targets: ["NetConfig"]),
        .library(name: "Analyzer", targets: ["Analyzer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // MARK: - C boundary
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        // MARK: - Libraries
        .target(name: "NetConfig", dependencies: ["CYAML"]),
        .target(name: "Analyzer", dependencies: ["NetConfig"]),
        // MARK: - Command-line tool
        .executableTarget(
            name: "returnn-lint",
            dependencies: [
                "NetConfig", "Analyzer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // MARK: - Tests
        .testTarget(name: "NetConfigTests", dependencies: ["NetConfig"]),
        .testTarget(name: "AnalyzerTests", dependencies: ["Analyzer", "NetConfig"]),
        .testTarget(name: "CLITests", dependencies: ["returnn-lint", "Analyzer", "NetConfig"], exclude: ["Golden"]),
    ]
)
