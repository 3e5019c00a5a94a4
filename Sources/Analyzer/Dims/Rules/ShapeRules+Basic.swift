import NetConfig

extension ShapeRules {
    /// Classes whose output has the dims of their (concatenated) input.
    static func sameAsInput(_ r: ShapeRequest) -> TemplateResult {
        if let n = r.outSize {
            return concatSources(r).map { t in
                guard let f = t.featureDim, f.size != n else { return .known(t) }
                return .known(withNewFeature(t, size: n, request: r, declared: r.declaredOutDim))
            }
        }
        return concatSources(r)
    }

    /// `data`, `data:KEY` as a layer (`class: source`).
    static func source(_ r: ShapeRequest) -> TemplateResult {
        let key = r.string("data_key") ?? r.engine.graph.config.externData.defaultInputKey
        return r.engine.externTemplate(key: key) ?? .unknown("data key '\(key)' has no declaration")
    }

    /// `cast`: the input with another dtype (a float dtype drops the sparse dim).
    static func cast(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            var out = t
            out.dtype = r.string("dtype") ?? t.dtype
            if out.dtype.hasPrefix("float") { out.sparseDim = nil }
            return .known(out)
        }
    }

    /// `activation`: the input; `abs`/`angle` of complex64 give float32, softmax variants move the feature axis last.
    static func activation(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            var out = t
            let name = r.string("activation") ?? ""
            if (name == "abs" || name == "angle"), t.dtype == "complex64" { out.dtype = "float32" }
            if name.contains("softmax"), let f = t.featureAxis { out = movingAxis(out, from: f, to: out.dims.count - 1) }
            if t.isSparse { return .unknown("activation on sparse data") }
            return .known(out)
        }
    }

    /// `linear` and `softmax`: the inputs' dims with the feature dim replaced by `n_out` (or the target's dim).
    static func linear(_ r: ShapeRequest) -> TemplateResult {
        var size = r.outSize
        var declared = r.declaredOutDim
        if size == nil, declared == nil, let dim = targetDim(r) {
            size = dim.size
            declared = dim
        }
        guard let size else { return .unknown("no 'n_out' or 'out_dim'") }
        let inputs: [TensorTemplate]
        switch r.knownSources(skipPending: true) {
        case .success(let known): inputs = known
        case .failure(let blocked): return blocked.result
        }
        // LinearLayer asserts `n_in = input_data.dim` (basic.py:2115): a dynamic feature dim has none.
        if inputs.count == 1, let inFeature = inputs[0].featureOrSparseDim, inFeature.size == nil {
            return .failed("linear on the dynamic feature dim \(inFeature.description) (RETURNN needs its size)")
        }
        guard let common = CommonData.common(
            inputs.map { $0.featureDim.map($0.removing) ?? $0 }, ignoreFeatureDim: true, broadcastMatches: broadcastMatches(r))
        else { return .unknown("no input") }
        // Several inputs are concatenated on F first; the feature dim of a single input can be taken over.
        var reference = inputs.count == 1 ? inputs[0] : common.inserting(.feature("\(r.name):concat", nil), at: common.dims.count)
        // The concatenated feature placeholder is the feature axis even though its size is not computed here.
        if inputs.count > 1 { reference.explicitFeatureAxis = reference.dims.count - 1 }
        return .known(withNewFeature(reference, size: size, request: r, declared: declared))
    }

    /// `combine`, `eval`: the common dims of all inputs (`get_common_data`); T' meeting T fails outside loops.
    static func combine(_ r: ShapeRequest) -> TemplateResult {
        let inputs: [TensorTemplate]
        switch r.knownSources(skipPending: true) {
        case .success(let known): inputs = known
        case .failure(let blocked): return blocked.result
        }
        var result = CommonData.combined(inputs, broadcastMatches: broadcastMatches(r))
        if case .known(var t) = result {
            if let n = r.int("n_out"), let axis = t.featureAxis, t.dims[axis].size != n {
                t = t.replacing(axis: axis, with: .feature("\(r.name):feature-dense", n))
            }
            if let kind = r.string("kind"), ["logical_and", "logical_or"].contains(kind) { t.dtype = "bool" }
            result = .known(t)
        }
        return result
    }

    /// `compare`: the common dims of the inputs (`get_common_data`), bool, not sparse.
    static func compare(_ r: ShapeRequest) -> TemplateResult {
        let inputs: [TensorTemplate]
        switch r.knownSources(skipPending: true) {
        case .success(let known): inputs = known
        case .failure(let blocked): return blocked.result
        }
        return CommonData.combined(inputs, broadcastMatches: broadcastMatches(r)).map { t in
            var out = t
            out.dtype = "bool"
            out.sparseDim = nil
            return .known(out)
        }
    }

    /// `switch`: the common dims of condition, true and false values; dtype and sparsity of the values.
    static func switchLayer(_ r: ShapeRequest) -> TemplateResult {
        var inputs: [TensorTemplate] = []
        for option in ["condition", "true_from", "false_from"] {
            guard let input = r.optionInput(option) else { continue }
            guard case .known(let t) = input else { return input.isPending ? input : .unknown("an input of 'switch' is not known") }
            inputs.append(option == "condition" ? TensorTemplate(dims: t.dims, dtype: "float32") : t)
        }
        guard !inputs.isEmpty else { return .unknown("switch without layer inputs") }
        let values = inputs.count > 1 ? Array(inputs.dropFirst()) : inputs
        // With a layer condition, each value is mapped onto the output with `copy_compatible_to`, which asserts the
        // same sparsity (basic.py:10093, _tensor_extra.py:1136): a number next to a sparse layer cannot be.
        if r.optionInput("condition") != nil, ["true_from", "false_from"].contains(where: { r.option($0)?.numberValue != nil }),
            values.contains(where: \.isSparse)
        {
            return .failed("switch: a constant branch cannot be mapped onto the sparse output of the other branch")
        }
        return CommonData.combined(inputs, broadcastMatches: broadcastMatches(r)).map { t in
            var out = t
            out.dtype = values.first?.dtype ?? "float32"
            out.sparseDim = values.first?.sparseDim
            return .known(out)
        }
    }

    /// `constant`: a scalar (or `[B]` with `with_batch_dim`) of the value's dtype; `shape` is not modelled.
    static func constant(_ r: ShapeRequest) -> TemplateResult {
        guard r.option("shape") == nil else { return .unknown("constant with 'shape'") }
        var dtype = r.string("dtype")
        if dtype == nil, let value = r.option("value") {
            switch value.value {
            case .int: dtype = "int32"
            case .bool: dtype = "bool"
            case .float: dtype = "float32"
            default: return .unknown("constant value is not a number")
            }
        }
        let dims: [Dim] = r.bool("with_batch_dim") == true ? [.batch] : []
        return .known(TensorTemplate(dims: dims, dtype: dtype ?? "float32"))
    }

    /// `length`: `[B]` lengths of a dynamic axis, or a scalar for a static or the batch axis.
    static func length(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            let axis = r.option("axis") ?? ConfigNode(.string("T"), span: 0..<0, style: .json)
            guard let index = AxisSpec.axis(axis, in: t) else { return .unknown("length axis not found") }
            let dim = t.dims[index]
            let dtype = r.string("dtype") ?? "int32"
            if dim.kind == .batch || !dim.isDynamic { return .known(TensorTemplate(dims: [], dtype: dtype)) }
            if r.bool("add_time_axis") == true { return .unknown("length with add_time_axis") }
            return .known(TensorTemplate(dims: [.batch], dtype: dtype))
        }
    }

    /// `gating` (`GatingLayer`): the feature dim halved (`F//2`, dim math); `activation` is required.
    static func gating(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            if r.option("activation") == nil { return .failed("gating needs 'activation'") }
            if r.option("out_dim").map({ !$0.isNull }) == true { return .unknown("gating with out_dim") }
            guard !t.isSparse, let axis = t.featureAxis, let size = t.dims[axis].size else { return .failed("gating needs a static feature dim") }
            guard size % 2 == 0 else { return .failed("gating needs an even feature dim") }
            if let n = r.int("n_out"), n != size / 2 { return .failed("gating n_out must be half the feature dim") }
            return .known(t.replacing(axis: axis, with: DimMath.floordiv(t.dims[axis], 2)))
        }
    }

    /// `range_from_length`: `[T]` int32 over the dim whose lengths the input holds — the measured dim when the
    /// input is a `length` layer (RETURNN finds the dim from the size tensor), else a new `<name>_input_len` dim.
    static func rangeFromLength(_ r: ShapeRequest) -> TemplateResult {
        let sources = r.engine.graph.sources(of: r.node.id)
        guard sources.count == 1 else { return .failed("range_from_length needs a single source") }
        if r.option("out_spatial_dim") != nil { return .unknown("range_from_length with out_spatial_dim") }
        return concatSources(r).map { t in
            guard t.dtype == "int32" || t.dtype == "int64" else { return .failed("range_from_length expects int lengths") }
            let dtype = r.string("dtype") ?? "int32"
            if case .layer(let id) = sources[0].target, r.engine.graph[id].className == "length" {
                let lengthSources = r.engine.graph.sources(of: id).map {
                    r.engine.input($0.target, ref: $0.ref, consumer: id, loops: r.engine.producerLoops(id, consumerLoops: r.loops))
                }
                guard case .known(let measured) = concatenated(lengthSources, name: r.engine.graph[id].name, broadcastMatches: broadcastMatches(r)) else {
                    return .unknown("input of the length layer not known")
                }
                let axisSpec = r.engine.graph[id].layer.option("axis") ?? ConfigNode(.string("T"), span: 0..<0, style: .json)
                guard let axis = AxisSpec.axis(axisSpec, in: measured) else { return .unknown("length axis not resolved") }
                let dim = measured.dims[axis]
                guard dim.isDynamic, dim.kind != .batch else { return .unknown("range_from_length of a static length") }
                return .known(TensorTemplate(dims: [dim], dtype: dtype))
            }
            return .known(TensorTemplate(dims: [Dim(kind: .spatial, name: "\(r.name)_input_len", size: nil)], dtype: dtype))
        }
    }

    /// `softmax_over_spatial`: the input with the softmax axis (default: the time axis) moved last.
    static func softmaxOverSpatial(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            let axis: Int
            if let spec = r.option("axis"), !spec.isNull {
                if spec.intValue != nil { return .failed("softmax_over_spatial axis given as int") }
                guard let found = AxisSpec.axis(spec, in: t) else { return .unknown("softmax_over_spatial axis not resolved") }
                axis = found
            } else {
                guard let time = t.timeAxis else { return .failed("softmax_over_spatial needs a time axis") }
                axis = time
            }
            return .known(movingAxis(t, from: axis, to: t.dims.count - 1))
        }
    }

    /// `forced_align` (`ForcedAlignmentLayer`): `[T,B]` int32, sparse over the input's feature dim.
    static func forcedAlign(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { input in
            guard let time = input.timeDim, let feature = input.featureDim else { return .failed("forced_align needs time and feature axes") }
            guard input.dims.count == 3, input.batchAxis != nil else { return .failed("forced_align needs [B,T,F] input") }
            guard let topology = r.string("topology"), ["ctc", "rna"].contains(topology) else { return .failed("forced_align topology must be ctc or rna") }
            return .known(TensorTemplate(dims: [time, .batch], dtype: "int32", sparseDim: feature))
        }
    }

    /// `mel_filterbank`: the feature dim replaced by `n_out` (base rule with batch axis 0, time axis 1).
    static func melFilterbank(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            guard let n = r.int("n_out") else { return .unknown("mel_filterbank without n_out") }
            guard t.dims.count == 3, t.batchAxis == 0, t.timeAxis == 1, t.featureAxis == 2, !t.isSparse else {
                return .unknown("mel_filterbank input is not [B,T,F]")
            }
            return .known(withNewFeature(t, size: n, request: r))
        }
    }

    /// `reduce` (`ReduceLayer`): the axes removed (or replaced by `<name>:keep-dim-<i>` of size 1 with
    /// `keep_dims`); the time and a set feature axis follow their dims; `arg*` modes give int32 data sparse over
    /// the reduced dim.
    static func reduce(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { input in
            guard let spec = r.option("axis") ?? r.option("axes") else { return .unknown("reduce axes not resolved") }
            if input.isSparse { return .failed("reduce on sparse data") }
            let t = spec.intValue != nil || (spec.elements?.contains { $0.intValue != nil } ?? false) ? batchMajor(input) : input
            // "T" on a template without a time axis (one frame inside a loop) fails RETURNN's assertion
            // `time_dim_axis is not None` (get_axis_from_description).
            if let problem = missingTimeAxis(spec, in: t, layer: "reduce") { return .failed(problem) }
            guard let axes = AxisSpec.axes(spec, in: t), !axes.isEmpty else { return .unknown("reduce axes not resolved") }
            let mode = (r.string("mode") ?? "").lowercased()
            let isArg = mode.hasPrefix("arg")
            if isArg, axes.count != 1 { return .failed("argmax/argmin over several axes") }
            if let problem = reduceInputProblem(mode: mode, input: t, axes: axes, useTimeMask: r.bool("use_time_mask")) {
                return .failed(problem)
            }
            var out = t
            if r.bool("keep_dims") == true {
                for axis in axes { out = out.replacing(axis: axis, with: Dim(kind: t.dims[axis].kind, name: "\(r.name):keep-dim-\(axis)", size: 1)) }
            } else {
                let time = t.timeAxis.flatMap { axes.contains($0) ? nil : t.dims[$0] }
                let feature = t.featureAxis.flatMap { axes.contains($0) ? nil : t.dims[$0] }
                let featureWasSet = t.explicitFeatureAxis != nil || t.noFeatureAxis
                out.dims = t.dims.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
                out.explicitTimeAxis = nil
                out.noTimeAxis = false
                out.explicitFeatureAxis = nil
                out.noFeatureAxis = false
                if let time { out = withTimeAxis(out, out.dims.firstIndex(of: time)) }
                if featureWasSet, let feature { out = withFeatureAxis(out, out.dims.firstIndex(of: feature)) }
            }
            if isArg {
                out.dtype = "int32"
                out.sparseDim = t.dims[axes[0]]
                out.explicitFeatureAxis = nil
                out.noFeatureAxis = true
            }
            return .known(out)
        }
    }

    /// Why RETURNN's `ReduceLayer.reduce` (basic.py:7767) cannot reduce `input` with `mode`, if it cannot. Over a
    /// dynamic axis (with `use_time_mask`, the default there) RETURNN masks the padding first and then accepts
    /// only numbers for max/min/sum/mean/logsumexp/argmax/argmin and only bool for any/all, and no integer mean
    /// (its length correction is a float); otherwise TF decides: bool only for any/all/argmax/argmin, any/all only
    /// for bool, logsumexp only for floats. Verified with the oracle for each mode on bool, float32 and int32,
    /// over F and T (fixtures/dims/reduce_dtype_*). Nil when it works or the dtype or mode is not one of these.
    static func reduceInputProblem(mode rawMode: String, input t: TensorTemplate, axes: [Int], useTimeMask: Bool?) -> String? {
        let mode = rawMode == "avg" ? "mean" : rawMode
        let kind: String
        switch t.dtype {
        case "bool": kind = "bool"
        case "float16", "bfloat16", "float32", "float64": kind = "float"
        case "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64": kind = "int"
        default: return nil
        }
        let dynamicAxes = axes.filter { t.dims[$0].kind != .batch && t.dims[$0].isDynamic }
        let flattensBatchAndTime =
            axes.count == 2 && t.batchAxis.map(axes.contains) == true && t.timeAxis.map(axes.contains) == true
        let masks = (useTimeMask ?? !dynamicAxes.isEmpty) && !dynamicAxes.isEmpty && !flattensBatchAndTime
        let problem = "reduce mode '\(rawMode)' on \(t.dtype) input"
        switch mode {
        case "any", "all":
            return kind == "bool" ? nil : problem
        case "max", "min", "sum", "mean", "logsumexp", "argmax", "argmin":
            if kind == "bool" { return masks || !mode.hasPrefix("arg") ? problem : nil }
            if kind == "int", mode == "logsumexp" || (mode == "mean" && masks) { return problem }
            return nil
        default:
            return nil
        }
    }

    /// `reduce_out` (basic.py:8015): the feature dim `F // num_pieces` (dim math, so two reduce_outs of one input
    /// share it); RETURNN asserts a dense feature axis whose size `num_pieces` divides.
    static func reduceOut(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            guard let pieces = r.int("num_pieces"), pieces > 0 else { return .unknown("reduce_out needs an integer num_pieces") }
            if r.option("out_dim").map({ !$0.isNull }) == true { return .unknown("reduce_out with out_dim") }
            guard !t.isSparse, let axis = t.featureAxis else { return .failed("reduce_out needs a dense feature axis") }
            guard let size = t.dims[axis].size else { return .failed("reduce_out needs a static feature dim") }
            guard size % pieces == 0 else { return .failed("reduce_out: num_pieces \(pieces) does not divide the feature dim \(size)") }
            return .known(t.replacing(axis: axis, with: DimMath.floordiv(t.dims[axis], pieces)))
        }
    }

    /// `variable` (`VariableLayer`): `[<name>:static:<i>…]` from `shape` (the last one a feature dim), with
    /// `<name>:dummy-time`(1) and the batch dim in front when asked for.
    static func variable(_ r: ShapeRequest) -> TemplateResult {
        guard let shape = r.option("shape")?.elements else { return .unknown("variable without shape") }
        var dims: [Dim] = []
        for (i, item) in shape.enumerated() {
            if let d = markerDim(item) {
                guard d.size != nil else { return .failed("variable needs static dims") }
                dims.append(d)
            } else if let size = item.intValue, size > 0 {
                dims.append(Dim(kind: i == shape.count - 1 ? .feature : .spatial, name: "\(r.name):static:\(i)", size: size))
            } else {
                return .unknown("variable shape entry is not an integer")
            }
        }
        if r.bool("add_time_axis") == true { dims.insert(Dim.spatial("\(r.name):dummy-time", 1), at: 0) }
        if r.bool("add_batch_axis") == true { dims.insert(.batch, at: 0) }
        return .known(TensorTemplate(dims: dims, dtype: r.string("dtype") ?? "float32"))
    }
}
