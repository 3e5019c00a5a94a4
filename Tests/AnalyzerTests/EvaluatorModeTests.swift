import Foundation
import NetConfig
import Testing

@testable import Analyzer

/// The two loop modes must agree with each other (as RETURNN's do, §3.4), also for masks that are all False
/// for a sequence, all True, False at t=0, True on padding frames, and with random non-zero padding.
struct EvaluatorModeTests {
    /// A network whose rec layer `output` has a unit layer `mask` (driven by overrides) and `masked`.
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let json: String
        var testDescription: String { name }
    }

    static let prefix = #"{"extern_data": {"data": {"dim": 5}}, "network": {"output": {"class": "rec", "from": "data", "unit": {"#
    static let maskLayers = #""in": {"class": "reduce", "from": "data:source", "mode": "max", "axis": "F"}, "mask": {"class": "compare", "from": "in", "kind": "greater", "value": 0.0}, "lin": {"class": "linear", "from": "data:source", "n_out": 3}, "#

    static let cases: [Case] = [
        Case(
            name: "E4 self-prev unit, explicit unmask",
            json: prefix + maskLayers
                + #""masked": {"class": "masked_computation", "from": "data:source", "mask": "mask", "unit": {"class": "linear", "activation": "tanh", "from": ["data", "prev:masked"], "n_out": 3}}, "unm": {"class": "unmask", "from": "masked", "mask": "mask"}, "output": {"class": "copy", "from": "unm"}}}}}"#),
        Case(
            name: "E5 LSTM unit, implicit unmask",
            json: prefix + maskLayers
                + #""masked": {"class": "masked_computation", "from": "data:source", "mask": "mask", "unit": {"class": "rec", "unit": "nativelstm2", "from": "data", "n_out": 3}}, "output": {"class": "combine", "from": ["masked", "lin"], "kind": "add"}}}}}"#),
        Case(
            name: "E5 LSTM unit, explicit unmask",
            json: prefix + maskLayers
                + #""masked": {"class": "masked_computation", "from": "data:source", "mask": "mask", "unit": {"class": "rec", "unit": "nativelstm2", "from": "data", "n_out": 3}}, "unm": {"class": "unmask", "from": "masked", "mask": "mask"}, "output": {"class": "combine", "from": ["unm", "lin"], "kind": "add"}}}}}"#),
        Case(
            name: "sub-layers with own initial outputs",
            json: prefix + maskLayers
                + #""x": {"class": "linear", "from": "data:source", "n_out": 2}, "masked": {"class": "masked_computation", "from": "data:source", "mask": "mask", "unit": {"class": "subnetwork", "from": "data", "subnetwork": {"sub1": {"class": "cumsum", "from": "base:x", "initial_output": 1.0, "is_output_layer": true}, "sub2": {"class": "cumsum", "from": "base:x", "initial_output": 2.0, "is_output_layer": true}, "output": {"class": "linear", "from": "data", "n_out": 2}}}}, "output": {"class": "eval", "from": ["masked/sub1", "masked/sub2", "masked"], "eval": "(source(0) + 1) * 2 + (source(1) + 2) * 3 + source(2)"}}}}}"#),
        Case(
            name: "cumsum unit with initial output 1",
            json: prefix + maskLayers
                + #""masked": {"class": "masked_computation", "from": "data:source", "mask": "mask", "unit": {"class": "cumsum", "from": "data", "initial_output": 1.0}}, "output": {"class": "eval", "from": ["masked", "data:source"], "eval": "source(0) + source(1) ** 2"}}}}}"#),
        Case(
            name: "masked read by prev and moved out as input",
            json: prefix + maskLayers
                + #""masked": {"class": "masked_computation", "from": "data:source", "mask": "mask", "unit": {"class": "linear", "activation": "tanh", "from": "data", "n_out": 3}}, "unmask": {"class": "unmask", "from": "masked", "mask": "mask"}, "prev_out": {"class": "copy", "from": "prev:output"}, "output": {"class": "combine", "from": ["unmask", "lin", "prev_out"], "kind": "add"}}}}}"#),
        Case(
            name: "mask from the previous output (masked stays in the loop)",
            json: prefix
                + #""in0": {"class": "reduce", "from": "data:source", "mode": "max", "axis": "F"}, "prev_red": {"class": "reduce", "from": "prev:output", "mode": "sum", "axis": "F"}, "in": {"class": "combine", "from": ["in0", "prev_red"], "kind": "add"}, "mask": {"class": "compare", "from": "in", "kind": "greater", "value": 0.0}, "lin": {"class": "linear", "from": "data:source", "n_out": 3}, "masked": {"class": "masked_computation", "from": "data:source", "mask": "mask", "unit": {"class": "rec", "unit": "nativelstm2", "from": "data", "n_out": 3}}, "unmask": {"class": "unmask", "from": "masked", "mask": "mask"}, "output": {"class": "combine", "from": ["unmask", "lin"], "kind": "add"}}}}}"#),
        Case(
            name: "subnetwork unit with sub-layer access",
            json: prefix + maskLayers
                + #""masked": {"class": "masked_computation", "from": "data:source", "mask": "mask", "unit": {"class": "subnetwork", "from": "data", "subnetwork": {"a": {"class": "linear", "activation": "tanh", "from": "data", "n_out": 3}, "output": {"class": "combine", "from": ["a", "a"], "kind": "mul"}}}}, "output": {"class": "combine", "from": ["masked/a", "lin", "masked"], "kind": "add"}}}}}"#),
    ]

    /// Evaluates both modes with the mask layer replaced by `mask` (nil: the network's own mask).
    static func outputs(_ testCase: Case, padding: InputPadding, pattern: MaskPattern?) throws -> (Tensor, Tensor) {
        let graph = NetworkGraph(config: try EvaluatorFiles.config(testCase.json))
        let inputs = try EvaluationInputs.random(for: graph, seed: 7, batch: 4, maxLength: 7, padding: padding)
        var options = EvaluationOptions()
        if let pattern {
            guard let rec = graph[scope: graph.root].layerByName["output"], let unit = graph[rec].childScope,
                let maskLayer = graph[scope: unit].layerByName["mask"], let data = inputs.data["data"]
            else {
                throw EvaluationError.invalidInput("no mask layer")
            }
            let time = try #require(data.dims.first { $0.isDynamic && $0.kind != .batch })
            let lengths = try #require(data.lengths[time.name])
            options.overrides[maskLayer] = try pattern.tensor(time: time, lengths: lengths)
        }
        let evaluator = Evaluator(graph: graph)
        let parameters = ParameterStore.random(seed: 3)
        let opt = try evaluator.evaluate(inputs: inputs, parameters: parameters, mode: .optimized, options: options)
        let noopt = try evaluator.evaluate(inputs: inputs, parameters: parameters, mode: .unoptimized, options: options)
        let a = try #require(opt.value("output"))
        let b = try #require(noopt.value("output"))
        return (a, b)
    }

    /// Mask patterns for the overrides.
    enum MaskPattern: CaseIterable {
        case mixed, paddingTrue, allFalse, allTrue

        func tensor(time: Dim, lengths: [Int]) throws -> Tensor {
            var mask = try Tensor.maskPattern(time: time, lengths: lengths, seed: 11)
            let maxLength = lengths.max() ?? 0
            for b in lengths.indices {
                for t in 0..<maxLength {
                    let i = b * maxLength + t
                    switch self {
                    case .mixed: break
                    case .paddingTrue: if t >= lengths[b] { mask.values[i] = 1 }
                    case .allFalse: mask.values[i] = 0
                    case .allTrue: mask.values[i] = 1
                    }
                }
            }
            return mask
        }
    }

    @Test(arguments: cases)
    func modesAgree(_ testCase: Case) throws {
        for padding in InputPadding.allCases {
            for pattern in [nil] + MaskPattern.allCases.map(Optional.some) {
                let (opt, noopt) = try Self.outputs(testCase, padding: padding, pattern: pattern)
                let difference = try opt.maxAbsDifference(to: noopt)
                #expect(difference < 1e-5, "\(testCase.name), padding \(padding), mask \(String(describing: pattern)): opt and noopt differ by \(difference)")
            }
        }
    }

    @Test func maskPatternHasTheRequiredSequences() throws {
        let time = Dim.spatial("t", nil)
        let mask = try Tensor.maskPattern(time: time, lengths: [4, 3, 5, 2], seed: 1)
        let rows = (0..<4).map { b in Array(mask.values[(b * 5)..<(b * 5 + 5)]) }
        #expect(rows[0] == [0, 0, 0, 0, 0])
        #expect(rows[1] == [1, 1, 1, 0, 0])
        #expect(rows[2][0] == 0)
        #expect(rows[3][2...] == [0, 0, 0])
    }

    /// The masked layer in the loop keeps its previous output where the mask is false (§1.3): with the mask
    /// all false for a sequence the output stays the unit's initial output.
    @Test func allFalseSequenceKeepsTheInitialOutput() throws {
        let json = Self.prefix + Self.maskLayers
            + #""masked": {"class": "masked_computation", "from": "data:source", "mask": "mask", "unit": {"class": "cumsum", "from": "data", "initial_output": 1.0}}, "output": {"class": "copy", "from": "masked"}}}}}"#
        let (opt, noopt) = try Self.outputs(Case(name: "initial", json: json), padding: .random, pattern: .mixed)
        for tensor in [opt, noopt] {
            let t = tensor.batchSpatialMajor()
            // Sequence 0 is all false: every valid frame is the initial output 1.
            let steps = t.shape[1], features = t.shape[2]
            let length = try #require(t.lengths.values.first?[0])
            for step in 0..<length {
                for f in 0..<features { #expect(t.values[step * features + f] == 1) }
            }
            _ = steps
        }
    }
}
