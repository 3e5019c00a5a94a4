import Foundation
import NetConfig
import Testing

@testable import Analyzer

/// Compares our loop plans and dims with real RETURNN's goldens (../shared/conformance): kind, static size,
/// which dims are the same dim (one consistent name mapping per case and mode), dtype and sparsity.
struct DimsConformanceTests {
    /// A golden case: the config and its golden file.
    struct Case: CustomTestStringConvertible, Sendable {
        let config: URL
        let golden: URL
        var testDescription: String { golden.lastPathComponent }
    }

    static var cases: [Case] {
        let folder = SharedFiles.shared.appendingPathComponent("conformance/cases")
        return SharedFiles.files(in: folder, suffix: ".json").filter { !$0.lastPathComponent.contains(".golden") }.map {
            Case(config: $0, golden: folder.appendingPathComponent($0.deletingPathExtension().lastPathComponent + ".golden.json"))
        }
    }

    static var realCases: [Case] {
        let folder = SharedFiles.shared.appendingPathComponent("conformance/real")
        return SharedFiles.files(in: folder, suffix: ".golden.json").compactMap { golden in
            let base = golden.lastPathComponent.replacingOccurrences(of: ".golden.json", with: ".json")
            for sub in ["masked", "plain"] {
                let config = SharedFiles.shared.appendingPathComponent("corpus/\(sub)/\(base)")
                if FileManager.default.fileExists(atPath: config.path) { return Case(config: config, golden: golden) }
            }
            return nil
        }
    }

    /// Helper layers RETURNN creates that have no counterpart in the config.
    static func isHelper(path: String, className: String) -> Bool {
        className == "WrappedInternalLayer" || className == "source" || className == ":i" || className.hasPrefix(":prev")
            || path.contains("/data:") || path.hasPrefix("data:") || path == "data" || path.hasSuffix("/:i")
    }

    /// The comparison outcome of one case: mismatches (must be empty) and how many layers we left unknown.
    struct Outcome {
        var mismatches: [String] = []
        var compared = 0
        var unknown = 0
    }

    static func compare(_ testCase: Case) throws -> Outcome {
        var outcome = Outcome()
        let golden = try SharedFiles.json(testCase.golden)
        if golden["timeout"] != nil { return outcome }
        let config = try SharedFiles.load(testCase.config)
        let graph = NetworkGraph(config: config)
        let modes = golden["modes"] as? [String: Any] ?? [:]
        for (mode, optimize) in [("opt", true), ("noopt", false)] {
            guard let goldenMode = modes[mode] as? [String: Any] else { continue }
            let dims = DimAnalysis(graph: graph, optimize: optimize)
            let ours = Dictionary(dims.entries.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
            var nameMap: [String: String] = [:]
            var reverseMap: [String: String] = [:]
            let layers = goldenMode["layers"] as? [String: [String: Any]] ?? [:]
            for path in layers.keys.sorted() {
                guard let layer = layers[path], let className = layer["class"] as? String,
                    !isHelper(path: path, className: className)
                else { continue }
                guard let entry = ours[path] else {
                    outcome.mismatches.append("\(mode) \(path): missing in our analysis")
                    continue
                }
                guard case .known(let template) = entry.result else {
                    outcome.unknown += 1
                    continue
                }
                outcome.compared += 1
                let goldenDims = (layer["dims"] as? [[String: Any]] ?? []).map { d -> (String, Int?, String) in
                    let kind = (d["kind"] as? String).map { $0 == "time/spatial" ? "spatial" : $0 } ?? "?"
                    return (kind, d["dimension"] as? Int, d["name"] as? String ?? "")
                }
                let ourDims = template.dims.map { ($0.kind.rawValue, $0.size, $0.name) }
                let key = { (d: (String, Int?, String)) in "\(d.0):\(d.1.map(String.init) ?? "dyn")" }
                if goldenDims.map(key).sorted() != ourDims.map(key).sorted() {
                    outcome.mismatches.append(
                        "\(mode) \(path): dims \(goldenDims.map { "\(key($0))'\($0.2)'" }) vs ours \(ourDims.map { "\(key($0))'\($0.2)'" })")
                    continue
                }
                // Same-dim structure: pair dims of equal kind/size in name order and require a consistent
                // one-to-one name mapping over the whole case and mode.
                let sortKey = { (d: (String, Int?, String)) in key(d) + "|" + d.2 }
                for (g, o) in zip(goldenDims.sorted { sortKey($0) < sortKey($1) }, ourDims.sorted { sortKey($0) < sortKey($1) }) {
                    if let mapped = nameMap[g.2], mapped != o.2 {
                        outcome.mismatches.append("\(mode) \(path): RETURNN's dim '\(g.2)' is '\(mapped)' elsewhere but '\(o.2)' here")
                    }
                    if let mapped = reverseMap[o.2], mapped != g.2 {
                        outcome.mismatches.append("\(mode) \(path): our dim '\(o.2)' is RETURNN's '\(mapped)' elsewhere but '\(g.2)' here")
                    }
                    nameMap[g.2] = o.2
                    reverseMap[o.2] = g.2
                }
                if let dtype = layer["dtype"] as? String, dtype != template.dtype {
                    outcome.mismatches.append("\(mode) \(path): dtype \(dtype) vs ours \(template.dtype)")
                }
                if let sparse = layer["sparse"] as? Bool, sparse != template.isSparse {
                    outcome.mismatches.append("\(mode) \(path): sparse \(sparse) vs ours \(template.isSparse)")
                }
            }
            // Loop plans.
            let recPlans = goldenMode["rec"] as? [String: [String: [String]]] ?? [:]
            for (recPath, plan) in recPlans {
                guard let recID = graph.layers.first(where: { $0.pathString == recPath && $0.className == "rec" })?.id,
                    let ourPlan = dims.plans[recID]
                else {
                    outcome.mismatches.append("\(mode) \(recPath): no loop plan")
                    continue
                }
                let pairs: [(String, [String])] = [
                    ("layers_in_loop", ourPlan.layersInLoop), ("input_layers_moved_out", ourPlan.inputLayersMovedOut),
                    ("output_layers_moved_out", ourPlan.outputLayersMovedOut),
                ]
                for (field, ourList) in pairs {
                    let expected = (plan[field] ?? []).filter { !$0.hasPrefix("data:") }.sorted()
                    if expected != ourList.sorted() {
                        outcome.mismatches.append("\(mode) \(recPath) \(field): \(expected) vs ours \(ourList.sorted())")
                    }
                }
            }
        }
        return outcome
    }

    @Test(arguments: cases)
    func handMadeCase(_ testCase: Case) throws {
        let outcome = try Self.compare(testCase)
        #expect(outcome.mismatches.isEmpty, "\(outcome.mismatches.joined(separator: "\n"))")
    }

    @Test(arguments: realCases)
    func realNetwork(_ testCase: Case) throws {
        let outcome = try Self.compare(testCase)
        #expect(outcome.mismatches.isEmpty, "\(outcome.mismatches.joined(separator: "\n"))")
    }

    @Test func casesArePresent() {
        #expect(Self.cases.count >= 30)
        #expect(Self.realCases.count == 45)
    }

    /// Counts compared and unknown layers over all goldens (printed; the issue note reports the numbers).
    @Test func unknownShareIsReported() throws {
        var compared = 0
        var unknown = 0
        for testCase in Self.cases + Self.realCases {
            let outcome = try Self.compare(testCase)
            compared += outcome.compared
            unknown += outcome.unknown
        }
        print("conformance: \(compared) layer instances compared, \(unknown) unknown")
        #expect(compared > 300)
    }
}
