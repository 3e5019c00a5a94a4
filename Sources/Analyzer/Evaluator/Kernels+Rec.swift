#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NetConfig

extension Kernels {
    // MARK: - Rec

    /// `rec`: a dict unit runs its loop (`EvaluationRun.runLoop`); a built-in `lstm`/`nativelstm2` unit runs
    /// NativeLSTM2 over the input's time axis, or one step (with state) inside a loop.
    static func rec(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        switch c.layer.children {
        case .recUnit:
            return try c.run.runLoop(c.id, loops: c.loops)
        case .builtinUnit(let unit):
            let name = unit.lowercased()
            guard name == "lstm" || name == "nativelstm2" else { throw c.unsupported("rec unit '\(unit)' is not supported (only lstm/nativelstm2)") }
            if let state = c.option("initial_state"), !state.isNull, state.numberValue != 0, state.stringValue != "zeros" {
                throw c.unsupported("initial_state other than zeros")
            }
            return try lstm(c)
        default:
            throw c.unsupported("rec without a unit")
        }
    }

    /// NativeLSTM2 (`returnn/native_op.py`): gates `[cell-in, input, forget, output]` of `x·W + b + h·W_re`,
    /// `c = f·c + i·tanh(z)`, `h = o·tanh(c)`; padding frames keep the state and output 0.
    static func lstm(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        guard let outFeature = c.template.featureDim, let n = outFeature.size else { throw c.unsupported("no n_out") }
        guard let f = x.template.featureAxis, let nIn = x.dims[f].size, x.template.sparseDim == nil else {
            throw c.unsupported("LSTM input without a static dense feature axis")
        }
        let w = try c.parameter("rec/W", shape: [nIn, 4 * n], role: .weight(fanIn: nIn, fanOut: 4 * n))
        let wRec = try c.parameter("rec/W_re", shape: [n, 4 * n], role: .weight(fanIn: n, fanOut: 4 * n))
        let bias = try c.parameter("rec/b", shape: [4 * n], role: .bias)
        if c.inLoop, x.template.timeAxis == nil {
            guard let batchAxis = x.template.batchAxis, x.dims.count == 2 else { throw c.unsupported("LSTM step on a frame other than [B,F]") }
            let frame = x.permuted([batchAxis, f])
            let batch = frame.shape[0]
            let stateTemplate = TensorTemplate(dims: [.batch, outFeature])
            let zero = Tensor.filled(0, template: stateTemplate, shape: [batch, n], lengths: [:])
            let cKey = EvaluationRun.StateKey(layer: c.id, slot: "c")
            let hKey = EvaluationRun.StateKey(layer: c.id, slot: "h")
            let cPrev = try c.run.readState(cKey, loops: c.loops) { () throws(EvaluationError) -> Tensor in zero }
            let hPrev = try c.run.readState(hKey, loops: c.loops) { () throws(EvaluationError) -> Tensor in zero }
            var cNext = cPrev, hNext = hPrev
            let input = matmul(frame.values, rows: batch, inner: nIn, w, columns: 4 * n)
            let recurrent = matmul(hPrev.values, rows: batch, inner: n, wRec, columns: 4 * n)
            for b in 0..<batch {
                lstmCell(
                    input: input, recurrent: recurrent, bias: bias, row: b, n: n, cPrev: cPrev.values, cNext: &cNext.values, h: &hNext.values)
            }
            try c.run.writeState(cKey, cNext, previous: cPrev, loops: c.loops)
            try c.run.writeState(hKey, hNext, previous: hPrev, loops: c.loops)
            return hNext
        }
        guard let time = x.template.timeDim, let timeAxis = x.axis(of: time), let batchAxis = x.template.batchAxis, x.dims.count == 3 else {
            throw c.unsupported("LSTM over \(x.template): expected [B,T,F]")
        }
        let moved = x.permuted([timeAxis, batchAxis, f])
        let steps = moved.shape[0], batch = moved.shape[1]
        let lengths = x.lengths[time.name] ?? c.run.dimLengths[time.name] ?? Array(repeating: steps, count: batch)
        let backward = (c.int("direction") ?? 1) == -1
        let input = matmul(moved.values, rows: steps * batch, inner: nIn, w, columns: 4 * n)
        var cState = [Float](repeating: 0, count: batch * n)
        var hState = [Float](repeating: 0, count: batch * n)
        var cNext = cState
        var hNext = hState
        var output = [Float](repeating: 0, count: steps * batch * n)
        for s in 0..<steps {
            let t = backward ? steps - 1 - s : s
            let recurrent = matmul(hState, rows: batch, inner: n, wRec, columns: 4 * n)
            let inputStep = Array(input[(t * batch * 4 * n)..<((t + 1) * batch * 4 * n)])
            for b in 0..<batch {
                if t < lengths[b] {
                    lstmCell(input: inputStep, recurrent: recurrent, bias: bias, row: b, n: n, cPrev: cState, cNext: &cNext, h: &hNext)
                    for k in 0..<n { output[(t * batch + b) * n + k] = hNext[b * n + k] }
                } else {
                    for k in 0..<n {
                        cNext[b * n + k] = cState[b * n + k]
                        hNext[b * n + k] = hState[b * n + k]
                    }
                }
            }
            swap(&cState, &cNext)
            swap(&hState, &hNext)
        }
        var template = TensorTemplate(dims: [time, moved.dims[1], outFeature])
        template.explicitFeatureAxis = 2
        return Tensor(template: template, shape: [steps, batch, n], lengths: [time.name: lengths], values: output)
    }

    /// One NativeLSTM2 cell update of batch row `row`.
    static func lstmCell(input: [Float], recurrent: [Float], bias: [Float], row: Int, n: Int, cPrev: [Float], cNext: inout [Float], h: inout [Float]) {
        let base = row * 4 * n
        for k in 0..<n {
            func gate(_ g: Int) -> Double { Double(input[base + g * n + k]) + Double(recurrent[base + g * n + k]) + Double(bias[g * n + k]) }
            let z = tanh(gate(0))
            let i = 1 / (1 + exp(-gate(1)))
            let f = 1 / (1 + exp(-gate(2)))
            let o = 1 / (1 + exp(-gate(3)))
            let cell = f * Double(cPrev[row * n + k]) + i * z
            cNext[row * n + k] = Float(cell)
            h[row * n + k] = Float(tanh(cell) * o)
        }
    }

    // MARK: - Subnetwork, masked computation, unmask

    static func subnetwork(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        guard let scope = c.node.childScope, let output = c.run.graph[scope: scope].layerByName["output"] else {
            throw .construction(layer: c.path, message: "subnetwork without an 'output' layer")
        }
        return try c.run.value(output, loops: c.loops)
    }

    static func maskedComputation(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        guard let unit = c.node.maskedUnit else { throw c.unsupported("masked_computation without a unit dict") }
        return try c.run.instance(EvaluationRun.Key(layer: unit, loops: c.loops, view: .masked(c.id)))
    }

    /// `unmask` in all branches of §2.3 (with `mask AND seq_mask` for the running index).
    static func unmask(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let sources = try c.sources()
        guard sources.count == 1, let source = sources.first, let sourceRef = c.run.graph.sources(of: c.id).first else {
            throw .construction(layer: c.path, message: "AssertionError: unmask needs exactly one source")
        }
        guard let mask = try c.optionInput("mask") else { throw .construction(layer: c.path, message: "unmask without mask") }
        if c.inLoop {
            guard let sourceTime = source.template.timeDim else { return source }  // branch 1: identity
            // Branch 2a: the source (e.g. a masked_from layer on T') is outside the loop; running index.
            guard let rec = c.loops.last, let state = c.run.loopStates[rec] else { throw .inconsistency(layer: c.path, message: "no running loop") }
            guard mask.dims.count == 1, mask.template.batchAxis == 0 else {
                throw .construction(layer: c.path, message: "invalid mask \(mask.template) (inside rec loop)")
            }
            let batch = mask.shape[0]
            let key = EvaluationRun.StateKey(layer: c.id, slot: "t")
            let indexTemplate = TensorTemplate(dims: [.batch], dtype: "int32")
            let previous = try c.run.readState(key, loops: c.loops) { () throws(EvaluationError) -> Tensor in
                Tensor.filled(-1, template: indexTemplate, shape: [batch], lengths: [:])
            }
            var next = previous
            for b in 0..<batch where mask.values[b] != 0 && state.step < (state.lengths.indices.contains(b) ? state.lengths[b] : 0) {
                next.values[b] += 1
            }
            try c.run.writeState(key, next, previous: previous, loops: c.loops)
            let initial = try unmaskInitial(c, sourceRef: sourceRef, frame: source.template.removing(sourceTime))
            guard let timeAxis = source.axis(of: sourceTime), let batchAxis = source.template.batchAxis else {
                throw c.unsupported("unmask source without batch axis")
            }
            let moved = source.permuted([batchAxis, timeAxis] + source.shape.indices.filter { $0 != batchAxis && $0 != timeAxis })
            let steps = moved.shape[1]
            let frame = moved.shape[2...].reduce(1, *)
            let frameDims = [moved.dims[0]] + Array(moved.dims[2...])
            let frameShape = [moved.shape[0]] + Array(moved.shape[2...])
            let initialValues = try initial.broadcastValues(to: frameDims, shape: frameShape, layer: c.path)
            var values = [Float](repeating: 0, count: frameShape.reduce(1, *))
            for b in 0..<moved.shape[0] {
                let t = Int(next.values[b])
                if t < 0 {
                    for k in 0..<frame { values[b * frame + k] = initialValues[b * frame + k] }
                } else {
                    guard t < steps else {
                        throw .runtime(layer: c.path, message: "InvalidArgumentError: unmask index \(t) does not index into \(steps) frames (GatherNd)")
                    }
                    for k in 0..<frame { values[b * frame + k] = moved.values[(b * steps + t) * frame + k] }
                }
            }
            var template = moved.template.removing(axis: 1)
            template.explicitFeatureAxis = source.template.featureDim.flatMap { template.dims.firstIndex(of: $0) }
            var out = Tensor(template: template, shape: frameShape, lengths: moved.lengths, values: values)
            out.pruneLengths()
            return out
        }
        guard let sourceTime = source.template.timeDim else {
            throw .construction(layer: c.path, message: "AssertionError: unmask outside a loop needs a source with a time axis")
        }
        guard let maskTime = mask.template.timeDim, let maskTimeAxis = mask.axis(of: maskTime), let maskBatch = mask.template.batchAxis,
            mask.dims.count == 2, mask.isBool
        else {
            throw .construction(layer: c.path, message: "invalid mask \(mask.template) (outside rec loop)")
        }
        if source.has(maskTime) { return source }  // branch 2b: already unmasked (PR #976)
        // Branch 2c: left copy from T' back onto T.
        let lengths = mask.lengths[maskTime.name] ?? c.run.dimLengths[maskTime.name] ?? Array(repeating: mask.shape[maskTimeAxis], count: mask.shape[maskBatch])
        let strides = mask.strides
        var selected: [[Bool]] = []
        for b in 0..<mask.shape[maskBatch] {
            var row = [Bool](repeating: false, count: mask.shape[maskTimeAxis])
            for t in 0..<mask.shape[maskTimeAxis] where t < lengths[b] {
                row[t] = mask.values[b * strides[maskBatch] + t * strides[maskTimeAxis]] != 0
            }
            selected.append(row)
        }
        let initial = try unmaskInitial(c, sourceRef: sourceRef, frame: source.template.removing(sourceTime))
        return try leftCopy(source, from: sourceTime, to: maskTime, selected: selected, lengths: lengths, initial: initial, layer: c.path)
    }

    /// The initial value of an unmask: the direct source layer's initial output (§2.3 branch 2).
    static func unmaskInitial(_ c: KernelContext, sourceRef: (ref: LayerRef, target: ResolvedRef), frame: TensorTemplate) throws(EvaluationError) -> Tensor {
        switch sourceRef.target {
        case .subLayer(let root, _, let inner?) where c.run.graph[root].className == "masked_computation":
            return try c.run.initialOutput(inner, frame: frame)
        default:
            if let id = sourceRef.target.layerID { return try c.run.initialOutput(id, frame: frame) }
            var shape: [Int] = []
            for dim in frame.dims { shape.append(dim.kind == .batch ? c.batch : (dim.size ?? c.run.dimLengths[dim.name]?.max() ?? 0)) }
            return Tensor.filled(0, template: frame, shape: shape, lengths: [:])
        }
    }

    /// `choice` without search (RETURNN's eval mode): the target.
    static func choice(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        guard ShapeRules.choiceUsesTarget(c.layer), let key = c.option("target")?.stringValue ?? c.option("target")?.elements?.first?.stringValue,
            !key.hasPrefix("layer:")
        else { throw c.unsupported("choice with search") }
        let ref = LayerRef(parsing: "data:\(key)", span: c.layer.nameSpan, option: "target")
        return try c.run.input(.externData(key: key), ref: ref, consumer: c.id, loops: c.loops)
    }
}
