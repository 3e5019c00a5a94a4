import Foundation
import NetConfig
import Testing

@testable import Analyzer

// Regressions of what fuzzing found (fixtures/fuzz-regressions has the inputs; the CLI suite runs them through
// the binary): absurd sizes must give unknown dims and an evaluator that declines, never a trap; and a chain of
// unused unmask layers is unused as a whole.

@Suite("Robustness regressions")
struct RobustnessTests {
    static func analysis(_ json: String) throws -> Analysis {
        Analysis(config: try NetworkConfig.load(SourceText(path: "inline.json", text: json)))
    }

    static func entry(_ analysis: Analysis, _ path: String) -> DimEntry? {
        analysis.dims.entries.first { $0.path == path }
    }

    @Test func checkedArithmeticReportsOverflow() {
        #expect(CheckedInt.mul(1 << 62, 4) == nil)
        #expect(CheckedInt.mul(1 << 30, 4) == 1 << 32)
        #expect(CheckedInt.add(Int.max, 1) == nil)
        #expect(CheckedInt.sub(Int.min, 1) == nil)
        #expect(CheckedInt.product([1 << 31, 1 << 31, 4]) == nil)
        #expect(CheckedInt.product([3, 5, 7]) == 105)
        #expect(CheckedInt.floorDiv(-7, 2) == -4)
        #expect(CheckedInt.floorDiv(Int.min, -1) == nil)
        #expect(CheckedInt.floorDiv(1, 0) == nil)
        #expect(CheckedInt.ceilDiv(7, 2) == 4)
        #expect(CheckedInt.ceilDiv(Int.min, 3) == nil)
        #expect(CheckedInt.negated(Int.min) == Int.max)
    }

    /// split_dims whose dims multiply beyond Int: not understood (unknown), not a trap and not a failure.
    @Test func splitDimsWithOverflowingDimsIsUnknown() throws {
        let analysis = try Self.analysis(
            #"{"extern_data": {"data": {"dim": 5}}, "network": {"a": {"class": "split_dims", "from": "data", "axis": "F", "dims": [4611686018427387904, 4611686018427387904]}, "output": {"class": "copy", "from": "a"}}}"#)
        let a = try #require(Self.entry(analysis, "a"))
        guard case .unknown = a.result else {
            Issue.record("expected unknown dims, got \(a.result)")
            return
        }
        #expect(analysis.findings().allSatisfy { $0.severity != .error })
    }

    /// A valid conv with filter, stride and dilation 2^62: the out dim cannot be computed, so the layer is unknown.
    @Test func convWithOverflowingFilterIsUnknown() throws {
        let analysis = try Self.analysis(
            #"{"extern_data": {"data": {"dim": 5}}, "network": {"a": {"class": "conv", "from": "data", "filter_size": [4611686018427387904], "strides": [4611686018427387904], "dilation_rate": [4611686018427387904], "padding": "valid", "n_out": 3}, "output": {"class": "copy", "from": "a"}}}"#)
        let a = try #require(Self.entry(analysis, "a"))
        if case .known(let t) = a.result {
            Issue.record("expected unknown dims, got \(t)")
        }
    }

    /// The evaluator declines a parameter beyond its element budget instead of allocating it.
    @Test func evaluatorDeclinesTensorsBeyondItsBudget() throws {
        let json = #"{"extern_data": {"data": {"dim": 5}}, "network": {"output": {"class": "linear", "from": "data", "n_out": 100000000}}}"#
        let graph = NetworkGraph(config: try NetworkConfig.load(SourceText(path: "inline.json", text: json)))
        let inputs = try EvaluationInputs.random(for: graph, seed: 1, padding: .zero)
        do {
            let result = try Evaluator(graph: graph).evaluate(inputs: inputs, parameters: .random(seed: 1), mode: .optimized)
            #expect(result.value("output") == nil)
            #expect(result.unsupported.contains { $0.reason.contains("budget") }, "\(result.unsupported)")
        } catch {
            #expect(error.description.contains("budget"), "\(error)")
        }
    }

    /// A chain of unmask layers that ends nowhere is unused as a whole (RL108 on each), and `--fix` removes the
    /// whole chain in one pass instead of one layer per pass.
    @Test func aChainOfUnusedUnmasksIsUnusedAsAWhole() throws {
        var layers = [
            #""m": {"class": "compare", "from": "data", "kind": "greater", "value": 0}"#,
            #""mc": {"class": "masked_computation", "mask": "m", "from": "data", "unit": {"class": "copy", "from": "data"}}"#,
            #""output": {"class": "copy", "from": "data"}"#,
        ]
        for i in 0..<30 { layers.append(#""u\#(i)": {"class": "unmask", "from": "\#(i == 0 ? "mc" : "u\(i - 1)")", "mask": "m"}"#) }
        let json = #"{"extern_data": {"data": {"dim": 5}}, "network": {\#(layers.joined(separator: ",\n"))}}"#
        let analysis = try Self.analysis(json)
        let unused = analysis.unmasks.verdicts.filter { $0.kind == .unused }
        #expect(unused.count == 30)
        let source = SourceText(path: "inline.json", text: json)
        let outcome = try FixEngine.run(source, format: .json, options: FixOptions(includeUnsafe: false, verify: false), verifier: nil)
        #expect(outcome.problem == nil)
        #expect(outcome.passes <= 3, "took \(outcome.passes) passes")
        let fixed = try NetworkConfig.load(SourceText(path: "inline.json", bytes: outcome.fixedBytes))
        #expect(fixed.layerCount == 3)
    }

    /// An unmask read only by an unused unmask is unused; one read by an output is not.
    @Test func anUnmaskReadByAnOutputIsUsed() throws {
        let json = #"{"extern_data": {"data": {"dim": 5}}, "network": {"m": {"class": "compare", "from": "data", "kind": "greater", "value": 0}, "mc": {"class": "masked_computation", "mask": "m", "from": "data", "unit": {"class": "copy", "from": "data"}}, "c": {"class": "copy", "from": "mc"}, "u0": {"class": "unmask", "from": "c", "mask": "m"}, "u1": {"class": "unmask", "from": "u0", "mask": "m", "is_output_layer": true}, "output": {"class": "copy", "from": "data"}}}"#
        let analysis = try Self.analysis(json)
        #expect(analysis.unmasks.verdicts.allSatisfy { $0.kind != .unused }, "\(analysis.unmasks.verdicts.map { "\($0.kind)" })")
    }

    /// The verifier's parameter cache gives exactly what a fresh draw gives, and the same array the second time.
    @Test func theParameterCacheGivesTheDrawnValues() throws {
        var cached = ParameterStore.random(seed: 7)
        cached.cache = DrawnValueCache()
        let plain = ParameterStore.random(seed: 7)
        let role = ParameterRole.weight(fanIn: 4, fanOut: 6)
        let first = try cached.values(for: "lin/W", shape: [4, 6], role: role)
        #expect(first == (try plain.values(for: "lin/W", shape: [4, 6], role: role)))
        #expect(try cached.values(for: "lin/W", shape: [4, 6], role: role) == first)
        #expect(try cached.values(for: "lin/W", shape: [6, 4], role: role) != first, "the shape is part of the key")
        #expect(cached.cache?.values(for: "lin/W\u{0}[4, 6]\u{0}\(role)") == first)
    }

    /// Deleting the last layer of a nested block mapping removes exactly its lines: the next, less indented key
    /// (here the top-level layer `decision`) stays, with its options.
    @Test func deletingTheLastLayerOfANestedBlockMappingKeepsTheNextKey() throws {
        let text = """
            network:
              a: {class: copy, from: data}
              r:
                class: rec
                from: a
                unit:
                  output: {class: copy, from: data}
                  lm_unmask:
                    class: unmask
                    from: data
                    mask: data
              decision:
                class: copy
                from: a

            """
        let source = SourceText(path: "nested.yaml", text: text)
        let findings = Analysis(config: try NetworkConfig.load(source)).findings()
        let delete = try #require(findings.first { $0.rule.code == "RL108" }?.fix)
        let fixed = String(decoding: try #require(TextEdits.apply(delete.edits, to: source.bytes)), as: UTF8.self)
        #expect(fixed == text.replacingOccurrences(of: "      lm_unmask:\n        class: unmask\n        from: data\n        mask: data\n", with: ""))
        let reloaded = try NetworkConfig.load(SourceText(path: "nested.yaml", text: fixed))
        #expect(reloaded.network.layers.map(\.name) == ["a", "r", "decision"])
    }
}
