import Foundation
import NetConfig
import Testing

@testable import Analyzer

/// Files for the evaluator tests: `../shared` read in place (never copied into the project).
enum EvaluatorFiles {
    /// `../shared` next to the package root (this file is `Tests/AnalyzerTests/…`).
    static let shared: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared")

    /// The conformance cases folder.
    static let cases = shared.appendingPathComponent("conformance/cases")

    /// Loads a config file.
    static func load(_ url: URL) throws -> NetworkConfig {
        let data = try Data(contentsOf: url)
        return try NetworkConfig.load(SourceText(path: url.path, bytes: [UInt8](data)))
    }

    /// Parses a config written inline (JSON).
    static func config(_ json: String) throws -> NetworkConfig {
        try NetworkConfig.load(SourceText(path: "inline.json", text: json))
    }
}

/// Runs every conformance case with numeric goldens (zero and random padding) in both loop modes and checks
/// the evaluator against real RETURNN on valid frames (atol 1e-5, rtol 1e-4).
struct EvaluatorConformanceTests {
    /// One golden file and its case.
    struct Case: CustomTestStringConvertible, Sendable {
        let config: URL
        let golden: URL
        var testDescription: String { golden.lastPathComponent }
    }

    static var cases: [Case] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: EvaluatorFiles.cases.path)) ?? []
        return names.filter { $0.hasSuffix(".golden.json") }.sorted().compactMap { name in
            let base = name.components(separatedBy: ".").first ?? name
            let config = EvaluatorFiles.cases.appendingPathComponent(base + ".json")
            guard FileManager.default.fileExists(atPath: config.path) else { return nil }
            return Case(config: config, golden: EvaluatorFiles.cases.appendingPathComponent(name))
        }
    }

    @Test func everyGoldenIsFound() {
        // Both paddings of every case: the parametrized test below must not be vacuous.
        #expect(Self.cases.count >= 2)
        #expect(Self.cases.contains { $0.golden.lastPathComponent.contains(".pad-random.") })
    }

    @Test(arguments: cases)
    func matchesRETURNN(_ testCase: Case) throws {
        let graph = NetworkGraph(config: try EvaluatorFiles.load(testCase.config))
        let golden = try GoldenFile.parse([UInt8](try Data(contentsOf: testCase.golden)), name: testCase.golden.path)
        let inputs = try golden.evaluationInputs(for: graph)
        let evaluator = Evaluator(graph: graph)
        for mode in LoopMode.allCases {
            guard let goldenMode = golden.modes[mode.rawValue] else {
                Issue.record("\(testCase.golden.lastPathComponent): no mode \(mode.rawValue) in the golden file")
                continue
            }
            let result = Result { () throws(EvaluationError) -> EvaluationResult in
                try evaluator.evaluate(inputs: inputs, parameters: golden.parameterStore, mode: mode)
            }
            let comparison = GoldenModeComparison.compare(result, golden: goldenMode)
            for entry in comparison.entries {
                switch entry.status {
                case .mismatched:
                    Issue.record("\(testCase.golden.lastPathComponent) [\(mode.rawValue)] \(entry.path): \(entry.detail)")
                case .skipped:
                    print("note: \(testCase.golden.lastPathComponent) [\(mode.rawValue)] \(entry.path) skipped: \(entry.detail)")
                case .matched:
                    break
                }
            }
            // A mode RETURNN refuses must fail the same way: a construction or run-time error, not "unsupported".
            if goldenMode.error != nil, case .failure(let error) = result {
                switch error {
                case .construction, .runtime: break
                default: Issue.record("\(testCase.golden.lastPathComponent) [\(mode.rawValue)]: RETURNN refuses, we say: \(error)")
                }
            }
        }
    }
}
