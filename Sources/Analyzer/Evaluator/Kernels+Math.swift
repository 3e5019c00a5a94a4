#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NetConfig

extension Kernels {
    // MARK: - Pass-through

    static func copy(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        try c.concatenatedSources()
    }

    static func source(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let key = c.string("data_key") ?? c.run.graph.config.externData.defaultInputKey
        let ref = LayerRef(parsing: "data:\(key)", span: c.layer.nameSpan, option: "from")
        return try c.run.input(.externData(key: key), ref: ref, consumer: c.id, loops: c.loops)
    }

    static func cast(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        var x = try c.concatenatedSources()
        let dtype = c.template.dtype
        if dtype == "bool" {
            for i in x.values.indices { x.values[i] = x.values[i] != 0 ? 1 : 0 }
        } else if dtype.hasPrefix("int") || dtype.hasPrefix("uint") {
            for i in x.values.indices { x.values[i] = x.values[i].rounded(.towardZero) }
        }
        return x
    }

    // MARK: - Activation

    static func activation(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        let function = try Activation.parse(c.string("activation"), layer: c.path)
        return try function.apply(x, layer: c.path)
    }

    // MARK: - Linear

    /// `linear` / `softmax`: `act(x·W + b)` over the feature axis; a sparse input is an embedding lookup.
    static func linear(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        guard let outFeature = c.template.featureDim, let nOut = outFeature.size else {
            throw c.unsupported("the output feature dim is unknown")
        }
        let withBias = c.bool("with_bias") ?? true
        var activationName: String? = c.layer.className == "softmax" ? "softmax" : nil
        if let node = c.option("activation") { activationName = node.stringValue ?? "" }
        let rows: Int
        var outDims: [Dim]
        var values: [Float]
        var shape: [Int]
        if let sparse = x.template.sparseDim {
            guard let nIn = sparse.size else { throw c.unsupported("sparse input without a class count") }
            let w = try c.parameter("W", shape: [nIn, nOut], role: .weight(fanIn: nIn, fanOut: nOut))
            rows = x.count
            outDims = x.dims + [outFeature]
            shape = x.shape + [nOut]
            values = [Float](repeating: 0, count: rows * nOut)
            for r in 0..<rows {
                let index = Int(x.values[r])
                guard index >= 0, index < nIn else {
                    throw .runtime(layer: c.path, message: "InvalidArgumentError: class index \(index) is not in [0, \(nIn)) (embedding lookup)")
                }
                for o in 0..<nOut { values[r * nOut + o] = w[index * nOut + o] }
            }
        } else {
            guard let f = x.template.featureAxis, let nIn = x.dims[f].size else { throw c.unsupported("input without a static feature axis") }
            let w = try c.parameter("W", shape: [nIn, nOut], role: .weight(fanIn: nIn, fanOut: nOut))
            let moved = x.permuted(x.shape.indices.filter { $0 != f } + [f])
            rows = nIn == 0 ? moved.count : moved.count / nIn
            outDims = Array(moved.dims.dropLast()) + [outFeature]
            shape = Array(moved.shape.dropLast()) + [nOut]
            values = matmul(moved.values, rows: rows, inner: nIn, w, columns: nOut)
        }
        if withBias {
            let b = try c.parameter("b", shape: [nOut], role: .bias)
            for r in 0..<rows { for o in 0..<nOut { values[r * nOut + o] += b[o] } }
        }
        var template = TensorTemplate(dims: outDims, dtype: "float32")
        template.explicitFeatureAxis = outDims.count - 1
        var out = Tensor(template: template, shape: shape, lengths: x.lengths, values: values)
        out.pruneLengths()
        if let activationName {
            out = try Activation.parse(activationName, layer: c.path).apply(out, layer: c.path)
        }
        return out
    }

    /// `a [rows, inner] · w [inner, columns]` with Double accumulation.
    static func matmul(_ a: [Float], rows: Int, inner: Int, _ w: [Float], columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * columns)
        // Rows are taken in blocks so that `w` (often megabytes) is streamed once per block rather than once per
        // row; every sum still runs over `inner` in order, so the result is the same as row by row.
        let block = max(1, min(rows, Self.matmulRowBlock))
        var accumulator = [Double](repeating: 0, count: block * columns)
        guard rows > 0, inner > 0, columns > 0, a.count >= rows * inner, w.count >= inner * columns else { return out }
        a.withUnsafeBufferPointer { a in
            w.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { out in
                    accumulator.withUnsafeMutableBufferPointer { acc in
                        guard let a = a.baseAddress, let w = w.baseAddress, let out = out.baseAddress, let acc = acc.baseAddress else { return }
                        for first in stride(from: 0, to: rows, by: block) {
                            let last = min(rows, first + block)
                            acc.update(repeating: 0, count: (last - first) * columns)
                            for i in 0..<inner {
                                // Pointer offsets (no overflow checks) let the compiler vectorize the column loop.
                                let wRow = w + i * columns
                                for r in first..<last {
                                    let v = Double(a[r * inner + i])
                                    if v == 0 { continue }
                                    let accRow = acc + (r - first) * columns
                                    for o in 0..<columns { accRow[o] += v * Double(wRow[o]) }
                                }
                            }
                            for r in first..<last {
                                let accRow = acc + (r - first) * columns
                                let outRow = out + r * columns
                                for o in 0..<columns { outRow[o] = Float(accRow[o]) }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Rows per block in `matmul`: 8 rows of accumulators for a 4096-wide output are 256 kB.
    static let matmulRowBlock = 8

    // MARK: - Element-wise

    /// The inputs broadcast onto the output template (extents from the inputs).
    static func aligned(_ inputs: [Tensor], c: KernelContext, template: TensorTemplate? = nil) throws(EvaluationError) -> (Tensor, [[Float]]) {
        let out = try c.output(from: inputs, template: template)
        var arrays: [[Float]] = []
        for input in inputs { arrays.append(try input.broadcastValues(to: out.dims, shape: out.shape, layer: c.path)) }
        return (out, arrays)
    }

    static func combine(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let kind = c.string("kind") ?? "add"
        if kind == "eval" || c.option("eval") != nil { return try eval(c) }
        let inputs = try c.sources()
        guard !inputs.isEmpty else { throw c.unsupported("combine without inputs") }
        let op: (Double, Double) -> Double
        switch kind {
        case "add", "+", "average": op = { $0 + $1 }
        case "sub", "-", "subtract": op = { $0 - $1 }
        case "mul", "*", "multiply": op = { $0 * $1 }
        case "truediv", "/", "divide": op = { $0 / $1 }
        case "floordiv", "//": op = { ($0 / $1).rounded(.down) }
        case "mod", "floormod": op = { a, b in let r = fmod(a, b); return (r != 0 && (r < 0) != (b < 0)) ? r + b : r }
        case "pow": op = { pow($0, $1) }
        case "maximum": op = { max($0, $1) }
        case "minimum": op = { min($0, $1) }
        case "logical_and": op = { ($0 != 0 && $1 != 0) ? 1 : 0 }
        case "logical_or": op = { ($0 != 0 || $1 != 0) ? 1 : 0 }
        case "squared_difference": op = { ($0 - $1) * ($0 - $1) }
        case "logaddexp": op = { a, b in let m = max(a, b); return m == -.infinity ? m : m + log(exp(a - m) + exp(b - m)) }
        default: throw c.unsupported("combine kind '\(kind)' is not supported")
        }
        var (out, arrays) = try aligned(inputs, c: c)
        var acc = arrays[0].map(Double.init)
        for array in arrays.dropFirst() {
            for i in acc.indices { acc[i] = op(acc[i], Double(array[i])) }
        }
        if kind == "average" { for i in acc.indices { acc[i] /= Double(arrays.count) } }
        out.values = acc.map(Float.init)
        if out.isInteger { for i in out.values.indices { out.values[i] = out.values[i].rounded(.towardZero) } }
        return try biasAndActivation(out, c: c, defaultBias: false)
    }

    /// The optional `with_bias` (`<prefix>/b` over the feature dim) and `activation` of combine-like layers.
    static func biasAndActivation(_ x: Tensor, c: KernelContext, defaultBias: Bool) throws(EvaluationError) -> Tensor {
        var out = x
        if c.bool("with_bias") ?? defaultBias {
            guard let f = out.template.featureAxis, let n = out.dims[f].size else { throw c.unsupported("with_bias without a static feature dim") }
            let b = try c.parameter("b", shape: [n], role: .bias)
            let bias = Tensor(template: TensorTemplate(dims: [out.dims[f]]), shape: [n], lengths: [:], values: b)
            let aligned = try bias.broadcastValues(to: out.dims, shape: out.shape, layer: c.path)
            for i in out.values.indices { out.values[i] += aligned[i] }
        }
        if let node = c.option("activation"), !node.isNull {
            out = try Activation.parse(node.stringValue ?? "", layer: c.path).apply(out, layer: c.path)
        }
        return out
    }

    static func eval(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        guard let text = c.string("eval") else { throw c.unsupported("eval is not a string") }
        if let locals = c.option("eval_locals"), !locals.isNull { throw c.unsupported("eval_locals are not supported") }
        let inputs = try c.sources()
        let expression = try Expression.parse(text, layer: c.path)
        var (out, arrays) = try aligned(inputs, c: c)
        var used = Set<Int>()
        let value = try expression.evaluate(sources: arrays, count: out.count, variable: nil, used: &used, layer: c.path)
        arrays = []
        if used != Set(inputs.indices) {
            throw .construction(layer: c.path, message: "AssertionError: not used sources: \(Set(inputs.indices).subtracting(used).sorted())")
        }
        out.values = value.values(count: out.count, as: out.template.dtype)
        return try biasAndActivation(out, c: c, defaultBias: false)
    }

    static func compare(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let inputs = try c.sources()
        guard !inputs.isEmpty else { throw c.unsupported("compare without inputs") }
        let kind = c.string("kind") ?? "equal"
        let op: (Float, Float) -> Bool
        switch kind {
        case "equal", "==": op = { $0 == $1 }
        case "not_equal", "!=", "<>": op = { $0 != $1 }
        case "less", "<": op = { $0 < $1 }
        case "less_equal", "<=": op = { $0 <= $1 }
        case "greater", ">": op = { $0 > $1 }
        case "greater_equal", ">=": op = { $0 >= $1 }
        default: throw c.unsupported("compare kind '\(kind)' is not supported")
        }
        var (out, arrays) = try aligned(inputs, c: c)
        var result = [Bool](repeating: true, count: out.count)
        for pair in zip(arrays, arrays.dropFirst()) {
            for i in result.indices where !op(pair.0[i], pair.1[i]) { result[i] = false }
        }
        if let valueNode = c.option("value"), !valueNode.isNull {
            var number: Double?
            if let n = valueNode.numberValue {
                number = n
            } else if let b = valueNode.boolValue {
                number = b ? 1 : 0
            }
            guard let value = number else { throw c.unsupported("compare value is not a number") }
            let last = arrays[arrays.count - 1]
            for i in result.indices where !op(last[i], Float(value)) { result[i] = false }
        } else if arrays.count < 2 {
            throw c.unsupported("compare of one input without a value")
        }
        out.values = result.map { $0 ? 1 : 0 }
        return out
    }

    static func switchLayer(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        func operand(_ option: String) throws(EvaluationError) -> Tensor {
            if let t = try c.optionInput(option) { return t }
            guard let node = c.option(option) else { throw c.unsupported("switch without '\(option)'") }
            if let v = node.numberValue { return .scalar(Float(v)) }
            if let b = node.boolValue { return .scalar(b ? 1 : 0, dtype: "bool") }
            throw c.unsupported("switch option '\(option)' is neither a layer nor a number")
        }
        let condition = try operand("condition")
        let a = try operand("true_from")
        let b = try operand("false_from")
        var (out, arrays) = try aligned([condition, a, b], c: c)
        for i in out.values.indices { out.values[i] = arrays[0][i] != 0 ? arrays[1][i] : arrays[2][i] }
        return out
    }

    static func constant(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        guard let node = c.option("value") else { return try c.output(from: []) }
        let value: Float
        if let v = node.numberValue {
            value = Float(v)
        } else if let b = node.boolValue {
            value = b ? 1 : 0
        } else if case .float(let v)? = node.marker {
            value = Float(v)
        } else {
            throw c.unsupported("constant value is not a number")
        }
        var out = try c.output(from: [])
        for i in out.values.indices { out.values[i] = value }
        if out.isInteger { for i in out.values.indices { out.values[i] = out.values[i].rounded(.towardZero) } }
        if out.isBool { for i in out.values.indices { out.values[i] = out.values[i] != 0 ? 1 : 0 } }
        return out
    }
}

/// An activation function as RETURNN's `get_activation_function` reads its name: a `tf.nn`/`tf` function
/// name, `"2 * sigmoid"`-style combinations, or a lambda body with `x` (strings containing `(`).
indirect enum Activation: Sendable {
    case identity
    case function(String)
    case softmax(log: Bool)
    case binary(Character, Activation, Activation)
    case number(Double)
    case lambda(Expression)

    /// Parses an activation string; unknown names are unsupported.
    static func parse(_ text: String?, layer: String) throws(EvaluationError) -> Activation {
        guard var s = text?.trimmingSpaces, !s.isEmpty, s != "none", s != "identity", s != "None" else { return .identity }
        if s == "neg" { s = "negative" }
        if s.contains("(") { return .lambda(try Expression.parse(s, layer: layer)) }
        for op in "+-*/" where s.contains(op) {
            let parts = s.split(separator: op, maxSplits: 1, omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
            guard parts.count == 2 else { break }
            func side(_ p: String) throws(EvaluationError) -> Activation {
                if let v = Double(p) { return .number(v) }
                return try parse(p, layer: layer)
            }
            return .binary(op, try side(parts[0]), try side(parts[1]))
        }
        if s == "softmax" { return .softmax(log: false) }
        if s == "log_softmax" { return .softmax(log: true) }
        guard Expression.unaryFunctions[s] != nil else {
            throw .unsupported(layer: layer, reason: "activation '\(s)' is not supported")
        }
        return .function(s)
    }

    /// Applies the activation (softmax over the feature axis).
    func apply(_ x: Tensor, layer: String) throws(EvaluationError) -> Tensor {
        var out = x
        if case .softmax(let log) = self {
            guard let f = x.template.featureAxis else { throw .unsupported(layer: layer, reason: "softmax without a feature axis") }
            out = x.permuted(x.shape.indices.filter { $0 != f } + [f])
            Kernels.softmaxRows(&out.values, width: out.shape.last ?? 1, log: log)
            return out
        }
        var used = Set<Int>()
        let value = try evaluate(x.values, layer: layer, used: &used)
        out.values = value
        return out
    }

    private func evaluate(_ x: [Float], layer: String, used: inout Set<Int>) throws(EvaluationError) -> [Float] {
        switch self {
        case .identity: return x
        case .number(let v): return [Float](repeating: Float(v), count: x.count)
        case .function(let name):
            guard let f = Expression.unaryFunctions[name] else { throw .unsupported(layer: layer, reason: "activation '\(name)' is not supported") }
            return x.map { Float(f(Double($0))) }
        case .softmax:
            throw .unsupported(layer: layer, reason: "softmax inside a combined activation")
        case .binary(let op, let a, let b):
            let l = try a.evaluate(x, layer: layer, used: &used)
            let r = try b.evaluate(x, layer: layer, used: &used)
            var out = l
            for i in out.indices {
                switch op {
                case "+": out[i] = l[i] + r[i]
                case "-": out[i] = l[i] - r[i]
                case "*": out[i] = l[i] * r[i]
                default: out[i] = l[i] / r[i]
                }
            }
            return out
        case .lambda(let expression):
            let value = try expression.evaluate(sources: [], count: x.count, variable: x, used: &used, layer: layer)
            return value.values(count: x.count, as: "float32")
        }
    }
}

extension Kernels {
    /// Softmax (or log-softmax) over the last axis of rows of `width`, in place.
    static func softmaxRows(_ values: inout [Float], width: Int, log useLog: Bool) {
        guard width > 0 else { return }
        let rows = values.count / width
        for r in 0..<rows {
            let base = r * width
            var m = -Double.infinity
            for k in 0..<width { m = max(m, Double(values[base + k])) }
            var sum = 0.0
            for k in 0..<width { sum += exp(Double(values[base + k]) - m) }
            for k in 0..<width {
                let v = Double(values[base + k]) - m
                values[base + k] = useLog ? Float(v - log(sum)) : Float(exp(v) / sum)
            }
        }
    }
}

extension String {
    /// The string without leading and trailing spaces.
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
