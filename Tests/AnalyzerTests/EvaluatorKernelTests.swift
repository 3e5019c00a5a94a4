import Foundation
import NetConfig
import Testing

@testable import Analyzer

/// Kernels and semantics of the evaluator on small hand-computed examples.
struct EvaluatorKernelTests {
    static let time = Dim(kind: .spatial, name: "time:var:extern_data:data", size: nil)
    static let feature5 = Dim(kind: .feature, name: "feature:data", size: 5)

    /// Values of a tensor in batch-major layout as nested rows `[b][t]` of the first feature (or the scalar).
    static func rows(_ tensor: Tensor) -> [[Float]] {
        let t = tensor.batchSpatialMajor()
        let batch = t.shape[0]
        let inner = t.shape.dropFirst().reduce(1, *)
        let width = t.shape.count > 2 ? t.shape.last ?? 1 : 1
        return (0..<batch).map { b in stride(from: 0, to: inner, by: width).map { t.values[b * inner + $0] } }
    }

    static func evaluate(
        _ json: String, inputs: EvaluationInputs, parameters: ParameterStore = .random(seed: 1), mode: LoopMode = .optimized,
        options: EvaluationOptions = EvaluationOptions()
    ) throws -> EvaluationResult {
        let graph = NetworkGraph(config: try EvaluatorFiles.config(json))
        return try Evaluator(graph: graph).evaluate(inputs: inputs, parameters: parameters, mode: mode, options: options)
    }

    /// `data` [B,T,F] with the given values and lengths.
    static func data(_ values: [Float], batch: Int, steps: Int, features: Int, lengths: [Int]) throws -> EvaluationInputs {
        let feature = Dim(kind: .feature, name: "feature:data", size: features)
        let tensor = try Tensor(dims: [.batch, time, feature], shape: [batch, steps, features], values: values, lengths: [time.name: lengths])
        return EvaluationInputs(batch: batch, data: ["data": tensor])
    }

    // MARK: - LSTM

    /// NativeLSTM2 computed by hand: gates (cell-in, input, forget, output), state kept on padding frames.
    static func referenceLSTM(x: [[[Double]]], lengths: [Int], w: [Float], wRec: [Float], b: [Float], n: Int, backward: Bool) -> [[[Double]]] {
        let batch = x.count, steps = x[0].count, nIn = x[0][0].count
        var out = Array(repeating: Array(repeating: Array(repeating: 0.0, count: n), count: steps), count: batch)
        for s in 0..<batch {
            var h = Array(repeating: 0.0, count: n), c = Array(repeating: 0.0, count: n)
            let order = backward ? Array((0..<steps).reversed()) : Array(0..<steps)
            for t in order where t < lengths[s] {
                var z = Array(repeating: 0.0, count: 4 * n)
                for j in 0..<(4 * n) {
                    var v = Double(b[j])
                    for i in 0..<nIn { v += x[s][t][i] * Double(w[i * 4 * n + j]) }
                    for i in 0..<n { v += h[i] * Double(wRec[i * 4 * n + j]) }
                    z[j] = v
                }
                func sigmoid(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
                for k in 0..<n {
                    c[k] = sigmoid(z[2 * n + k]) * c[k] + sigmoid(z[n + k]) * Foundation.tanh(z[k])
                    h[k] = Foundation.tanh(c[k]) * sigmoid(z[3 * n + k])
                }
                out[s][t] = h
            }
        }
        return out
    }

    @Test(arguments: [1, -1])
    func lstmMatchesHandComputation(direction: Int) throws {
        let batch = 3, steps = 4, nIn = 2, n = 3
        var random = RandomSource(seed: 5)
        let values = (0..<(batch * steps * nIn)).map { _ in Float(random.normal()) }
        let lengths = [4, 2, 3]
        let inputs = try Self.data(values, batch: batch, steps: steps, features: nIn, lengths: lengths)
        let w = (0..<(nIn * 4 * n)).map { _ in Float(random.uniform(-0.5, 0.5)) }
        let wRec = (0..<(n * 4 * n)).map { _ in Float(random.uniform(-0.5, 0.5)) }
        let b = (0..<(4 * n)).map { _ in Float(random.uniform(-0.5, 0.5)) }
        let parameters = ParameterStore(given: [
            "lstm/rec/W": Parameter(shape: [nIn, 4 * n], values: w), "lstm/rec/W_re": Parameter(shape: [n, 4 * n], values: wRec),
            "lstm/rec/b": Parameter(shape: [4 * n], values: b),
        ])
        let json = #"{"extern_data": {"data": {"dim": 2}}, "network": {"lstm": {"class": "rec", "unit": "nativelstm2", "from": "data", "n_out": 3, "direction": \#(direction)}, "output": {"class": "copy", "from": "lstm"}}}"#
        let result = try Self.evaluate(json, inputs: inputs, parameters: parameters)
        let lstm = try #require(result.value("lstm")).batchSpatialMajor()
        let x = (0..<batch).map { s in (0..<steps).map { t in (0..<nIn).map { Double(values[(s * steps + t) * nIn + $0]) } } }
        let expected = Self.referenceLSTM(x: x, lengths: lengths, w: w, wRec: wRec, b: b, n: n, backward: direction == -1)
        for s in 0..<batch {
            for t in 0..<lengths[s] {
                for k in 0..<n {
                    #expect(abs(Double(lstm.values[(s * steps + t) * n + k]) - expected[s][t][k]) < 1e-5)
                }
            }
        }
    }

    /// The same LSTM as one step inside a loop (noopt) and over the sequence (opt, moved out) agree.
    @Test func lstmStepInLoopEqualsSequence() throws {
        let json = #"{"extern_data": {"data": {"dim": 5}}, "network": {"output": {"class": "rec", "from": "data", "unit": {"s": {"class": "rec", "unit": "nativelstm2", "from": "data:source", "n_out": 3}, "output": {"class": "copy", "from": "s"}}}}}"#
        let graph = NetworkGraph(config: try EvaluatorFiles.config(json))
        let inputs = try EvaluationInputs.random(for: graph, seed: 2, padding: .random)
        let evaluator = Evaluator(graph: graph)
        let opt = try evaluator.evaluate(inputs: inputs, parameters: .random(seed: 4), mode: .optimized)
        let noopt = try evaluator.evaluate(inputs: inputs, parameters: .random(seed: 4), mode: .unoptimized)
        #expect(opt.value("output/[out]/s") != nil)
        let a = try #require(opt.value("output"))
        let b = try #require(noopt.value("output"))
        #expect(try a.maxAbsDifference(to: b) < 1e-6)
    }

    // MARK: - Softmax, reduce

    /// Differences in golden reports print as C's `%.3g` (the analyzer does not link Foundation).
    @Test func numbersFormatLikePrintfG() {
        #expect(0.000123456.formatted(significantDigits: 3) == "0.000123")
        #expect(1.5e-7.formatted(significantDigits: 3) == "1.5e-07")
        #expect(0.0.formatted(significantDigits: 3) == "0")
        #expect(123456.0.formatted(significantDigits: 3) == "1.23e+05")
        #expect(Double.nan.formatted(significantDigits: 3) == "nan")
    }

    @Test func softmaxOverTheFeatureAxis() throws {
        let inputs = try Self.data([1, 2, 3, 0, 0, 0], batch: 1, steps: 2, features: 3, lengths: [2])
        let json = #"{"extern_data": {"data": {"dim": 3}}, "network": {"sm": {"class": "activation", "from": "data", "activation": "softmax"}, "lsm": {"class": "activation", "from": "data", "activation": "log_softmax", "is_output_layer": true}, "output": {"class": "copy", "from": "sm"}}}"#
        let result = try Self.evaluate(json, inputs: inputs)
        let sm = try #require(result.value("sm"))
        let expected: [Float] = [0.09003057, 0.24472847, 0.66524096, 1.0 / 3, 1.0 / 3, 1.0 / 3]
        for (a, b) in zip(sm.values, expected) { #expect(abs(a - b) < 1e-6) }
        let lsm = try #require(result.value("lsm"))
        #expect(abs(lsm.values[2] - log(0.66524096)) < 1e-5)
    }

    @Test func reduceOverTimeIgnoresPadding() throws {
        // Sequence 1 has length 2; its padding frames hold huge values that must not count.
        let values: [Float] = [1, 2, 3, 4, 5, 6, 1000, -1000]
        let inputs = try Self.data(values, batch: 2, steps: 4, features: 1, lengths: [4, 2])
        let json = #"{"extern_data": {"data": {"dim": 1}}, "network": {"mean": {"class": "reduce", "from": "data", "mode": "mean", "axis": "T"}, "max": {"class": "reduce", "from": "data", "mode": "max", "axis": "T", "is_output_layer": true}, "min": {"class": "reduce", "from": "data", "mode": "min", "axis": "T", "is_output_layer": true}, "sum": {"class": "reduce", "from": "data", "mode": "sum", "axis": "T", "is_output_layer": true}, "am": {"class": "reduce", "from": "data", "mode": "argmax", "axis": "T", "is_output_layer": true}, "output": {"class": "copy", "from": "mean"}}}"#
        let result = try Self.evaluate(json, inputs: inputs)
        #expect(try #require(result.value("mean")).values == [2.5, 5.5])
        #expect(try #require(result.value("max")).values == [4, 6])
        #expect(try #require(result.value("min")).values == [1, 5])
        #expect(try #require(result.value("sum")).values == [10, 11])
        #expect(try #require(result.value("am")).values == [3, 1])
    }

    // MARK: - Masked computation and unmask at top level (§10 E1b)

    static let e1bPrefix = #"{"extern_data": {"data": {"dim_tags": [{"$dim": "batch", "kind": "batch"}, {"$dim": "time"}, {"$dim": "feat", "dimension": 1, "kind": "feature"}]}, "mask": {"dim_tags": [{"$dim": "batch", "kind": "batch"}, {"$dim": "time"}], "dtype": "bool"}}, "network": {"#

    static func e1bInputs() throws -> EvaluationInputs {
        let time = Dim(kind: .spatial, name: "time", size: nil, autoGenerated: false)
        let feat = Dim(kind: .feature, name: "feat", size: 1, autoGenerated: false)
        let x = try Tensor(dims: [.batch, time, feat], shape: [2, 5, 1], values: [1, 2, 3, 4, 5, 10, 20, 30, 40, 50], lengths: ["time": [5, 3]])
        let mask = try Tensor(
            dims: [.batch, time], shape: [2, 5], values: [0, 1, 0, 1, 1, 0, 0, 1, 0, 0], dtype: "bool", lengths: ["time": [5, 3]])
        return EvaluationInputs(batch: 2, data: ["data": x, "mask": mask])
    }

    static func e1b(post: String, unit: String = #"{"class": "copy", "from": "data"}"#) -> String {
        e1bPrefix
            + #""masked": {"class": "masked_computation", "from": "data", "mask": "data:mask", "in_spatial_dim": {"$dim": "time"}, "out_spatial_dim": {"$dim": "masked_time"}, "unit": \#(unit)}, "post": \#(post), "output": {"class": "unmask", "from": "post", "mask": "data:mask"}}}"#
    }

    /// The valid frames of `output` per sequence (lengths [5, 3]).
    static func validRows(_ tensor: Tensor) -> [[Float]] {
        let r = rows(tensor)
        return [Array(r[0].prefix(5)), Array(r[1].prefix(3))]
    }

    @Test func e1bTopLevelUnmaskOfACopy() throws {
        for mode in LoopMode.allCases {
            let result = try Self.evaluate(Self.e1b(post: #"{"class": "copy", "from": "masked"}"#), inputs: Self.e1bInputs(), mode: mode)
            let masked = try #require(result.value("masked"))
            #expect(masked.lengths["masked_time"] == [3, 1])
            let maskedRows = Self.rows(masked)
            #expect(maskedRows[0] == [2, 4, 5])
            #expect(maskedRows[1][0] == 30)
            #expect(Self.validRows(try #require(result.value("output"))) == [[0, 2, 2, 4, 5], [0, 0, 30]])
        }
    }

    @Test func e1bLeadingFramesTakeTheDirectSourcesInitialOutput() throws {
        let seven = try Self.evaluate(Self.e1b(post: #"{"class": "copy", "from": "masked", "initial_output": 7}"#), inputs: Self.e1bInputs())
        #expect(Self.validRows(try #require(seven.value("output"))) == [[7, 2, 2, 4, 5], [7, 7, 30]])
        // A cumsum unit's initial output (100) does not show up: the leading 0 comes from the copy.
        let cumsum = try Self.evaluate(
            Self.e1b(post: #"{"class": "copy", "from": "masked"}"#, unit: #"{"class": "cumsum", "from": "data", "initial_output": 100}"#),
            inputs: Self.e1bInputs())
        #expect(Self.validRows(try #require(cumsum.value("output"))) == [[0, 102, 102, 106, 111], [0, 0, 130]])
    }

    @Test func topLevelUnmaskDirectlyOnMaskedComputationFails() throws {
        let json = Self.e1bPrefix
            + #""masked": {"class": "masked_computation", "from": "data", "mask": "data:mask", "in_spatial_dim": {"$dim": "time"}, "out_spatial_dim": {"$dim": "masked_time"}, "unit": {"class": "copy", "from": "data"}}, "output": {"class": "unmask", "from": "masked", "mask": "data:mask"}}}"#
        #expect {
            _ = try Self.evaluate(json, inputs: Self.e1bInputs())
        } throws: { error in
            guard case .construction(let layer, let message) = error as? EvaluationError else { return false }
            return layer == "output" && message.contains("'NoneType' object has no attribute 'cell'")
        }
    }

    /// Unmask branch 2a: inside the loop, the source (a masked_from layer on T') is outside the loop and read
    /// by a running index; frames before the first masked frame take the source's (unit's) initial output.
    @Test func unmaskInsideLoopReadsMaskedFromByRunningIndex() throws {
        let json = #"{"extern_data": {"data": {"dim": 1}, "data_masked": {"dim": 1}}, "network": {"output": {"class": "rec", "from": "data", "unit": {"one": {"class": "constant", "value": 1, "with_batch_dim": true}, "i": {"class": "combine", "from": [":i", "one"], "kind": "mul"}, "mod": {"class": "eval", "from": "i", "eval": "source(0) % 2"}, "mask": {"class": "compare", "from": "mod", "value": 1, "kind": "equal"}, "masked": {"class": "masked_computation", "masked_from": "base:data:data_masked", "mask": "mask", "unit": {"class": "copy", "from": "data"}}, "output": {"class": "unmask", "from": "masked", "mask": "mask"}}}}}"#
        let feature = Dim(kind: .feature, name: "feature:data", size: 1)
        let maskedTime = Dim(kind: .spatial, name: "time:var:extern_data:data_masked", size: nil)
        let maskedFeature = Dim(kind: .feature, name: "feature:data_masked", size: 1)
        let data = try Tensor(dims: [.batch, Self.time, feature], shape: [2, 4, 1], values: [3, 4, 5, 6, 5, 4, -3, -4], lengths: [Self.time.name: [4, 2]])
        let masked = try Tensor(dims: [.batch, maskedTime, maskedFeature], shape: [2, 2, 1], values: [4, 6, 4, -4], lengths: [maskedTime.name: [2, 1]])
        let inputs = EvaluationInputs(batch: 2, data: ["data": data, "data_masked": masked])
        let result = try Self.evaluate(json, inputs: inputs, mode: .optimized)
        let rows = Self.rows(try #require(result.value("output")))
        #expect(rows[0] == [0, 4, 4, 6])
        #expect(Array(rows[1].prefix(2)) == [0, 4])
        // Without the optimization RETURNN refuses masked_from inside the loop.
        #expect(throws: EvaluationError.self) { _ = try Self.evaluate(json, inputs: inputs, mode: .unoptimized) }
    }

    // MARK: - Expressions, unsupported layers, stand-ins, parameters

    @Test func evalExpressionsAndActivations() throws {
        let inputs = try Self.data([-2, -0.5, 0.5, 2], batch: 1, steps: 4, features: 1, lengths: [4])
        let json = #"{"extern_data": {"data": {"dim": 1}}, "network": {"e": {"class": "eval", "from": "data", "eval": "tf.where(source(0) > 0, source(0) * 2, -source(0)) + tf.maximum(source(0), 0.0) ** 2 - 7 // 2 + 5 % 3"}, "a": {"class": "activation", "from": "data", "activation": "3 + 2 * sigmoid", "is_output_layer": true}, "l": {"class": "activation", "from": "data", "activation": "tf.nn.relu(x) - x", "is_output_layer": true}, "output": {"class": "copy", "from": "e"}}}"#
        let result = try Self.evaluate(json, inputs: inputs)
        let expected: [Float] = [1, -0.5, 0.25, 7]
        #expect(try #require(result.value("e")).values == expected)
        let a = try #require(result.value("a")).values
        #expect(abs(a[3] - (3 + 2 / (1 + Float(exp(-2.0))))) < 1e-5)
        #expect(try #require(result.value("l")).values == [2, 0.5, 0, 0])
    }

    @Test func unsupportedLayersAreReportedByPathAndStandInsAreListed() throws {
        let json = #"{"extern_data": {"data": {"dim": 5}}, "network": {"l": {"class": "linear", "from": "data", "n_out": 3}, "e": {"class": "eval", "from": "l", "eval": "tf.reduce_sum(source(0))"}, "p": {"class": "positional_encoding", "from": "l", "add_to_input": true}, "output": {"class": "combine", "from": ["e", "p"], "kind": "add"}}}"#
        let graph = NetworkGraph(config: try EvaluatorFiles.config(json))
        let inputs = try EvaluationInputs.random(for: graph, seed: 1)
        let evaluator = Evaluator(graph: graph)
        let plain = try evaluator.evaluate(inputs: inputs, parameters: .random(seed: 1), mode: .optimized)
        #expect(plain.unsupported.map(\.path) == ["e"])
        #expect(plain.unsupported.first?.reason.contains("tf.reduce_sum") == true)
        #expect(plain.blocked.map(\.path) == ["output"])
        #expect(plain.value("output") == nil)
        let standIn = try evaluator.evaluate(inputs: inputs, parameters: .random(seed: 1), mode: .optimized, options: EvaluationOptions(standIns: .any))
        #expect(Set(standIn.standIns.map(\.path)) == ["e", "p"])
        #expect(standIn.value("output") != nil)
        // Only the allowed layers get stand-ins.
        let eID = try #require(graph[scope: graph.root].layerByName["e"])
        let some = try evaluator.evaluate(
            inputs: inputs, parameters: .random(seed: 1), mode: .optimized, options: EvaluationOptions(standIns: .layers([eID])))
        #expect(some.standIns.map(\.path) == ["e"])
        #expect(some.unsupported.map(\.path) == ["p"])
    }

    @Test func parametersFollowRETURNNsNames() throws {
        let json = #"{"extern_data": {"data": {"dim": 5}}, "network": {"output": {"class": "rec", "from": "data", "unit": {"in": {"class": "reduce", "from": "data:source", "mode": "max", "axis": "F"}, "mask": {"class": "compare", "from": "in", "kind": "greater", "value": 0.0}, "masked": {"class": "masked_computation", "from": "data:source", "mask": "mask", "unit": {"class": "rec", "unit": "nativelstm2", "from": "data", "n_out": 3}}, "output": {"class": "linear", "from": "masked", "n_out": 2}}}}}"#
        let graph = NetworkGraph(config: try EvaluatorFiles.config(json))
        let inputs = try EvaluationInputs.random(for: graph, seed: 1)
        #expect {
            _ = try Evaluator(graph: graph).evaluate(inputs: inputs, parameters: ParameterStore(given: [:]), mode: .optimized)
        } throws: { error in
            "\(error)".contains("'output/rec/masked/rec/W'") || "\(error)".contains("'output/rec/output/W'")
        }
        // A drawn parameter depends only on seed, name and shape.
        let a = ParameterStore.draw(name: "l/W", shape: [3, 2], role: .weight(fanIn: 3, fanOut: 2), seed: 9)
        let b = try ParameterStore.random(seed: 9).values(for: "l/W", shape: [3, 2], role: .weight(fanIn: 3, fanOut: 2))
        #expect(a == b)
        #expect(a.allSatisfy { abs($0) <= (6.0 / 5.0).squareRoot() })
    }

    @Test func overridesDriveLayersFrameByFrameInsideLoops() throws {
        let json = #"{"extern_data": {"data": {"dim": 5}}, "network": {"output": {"class": "rec", "from": "data", "unit": {"one": {"class": "constant", "value": 1.0, "with_batch_dim": true}, "x": {"class": "combine", "from": ["one", "prev:x"], "kind": "add"}, "output": {"class": "copy", "from": "x"}}}}}"#
        let graph = NetworkGraph(config: try EvaluatorFiles.config(json))
        let inputs = try EvaluationInputs.random(for: graph, seed: 1, batch: 3, maxLength: 4)
        let rec = try #require(graph[scope: graph.root].layerByName["output"])
        let unit = try #require(graph[rec].childScope)
        let one = try #require(graph[scope: unit].layerByName["one"])
        let lengths = try #require(inputs.data["data"]?.lengths[Self.time.name])
        let steps = lengths.max() ?? 0
        let override = try Tensor(
            dims: [.batch, Self.time], shape: [3, steps], values: (0..<(3 * steps)).map { Float($0 % steps) }, lengths: [Self.time.name: lengths])
        let result = try Evaluator(graph: graph).evaluate(
            inputs: inputs, parameters: .random(seed: 1), mode: .unoptimized, options: EvaluationOptions(overrides: [one: override]))
        let out = Self.rows(try #require(result.value("output")))
        // x_t = x_{t-1} + t: 0, 1, 3, 6.
        #expect(Array(out[0].prefix(lengths[0])) == Array([0, 1, 3, 6].prefix(lengths[0])))
    }
}
