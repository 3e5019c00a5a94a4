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

    static func cast(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            var out = t
            out.dtype = r.string("dtype") ?? t.dtype
            if out.dtype.hasPrefix("float") { out.sparseDim = nil }
            return .known(out)
        }
    }

    static func activation(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            var out = t
            let name = r.string("activation") ?? ""
            if name == "softmax" || name == "log_softmax", let f = t.featureDim { out = out.moving(f, to: out.dims.count - 1) }
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
        guard let common = CommonData.common(inputs.map { $0.featureDim.map($0.removing) ?? $0 }, ignoreFeatureDim: true)
        else { return .unknown("no input") }
        // Several inputs are concatenated on F first; the feature dim of a single input can be taken over.
        let reference = inputs.count == 1 ? inputs[0] : common.inserting(.feature("\(r.name):concat", nil), at: common.dims.count)
        return .known(withNewFeature(reference, size: size, request: r, declared: declared))
    }

    /// `combine`, `eval`: the common dims of all inputs (`get_common_data`); T' meeting T fails outside loops.
    static func combine(_ r: ShapeRequest) -> TemplateResult {
        let inputs: [TensorTemplate]
        switch r.knownSources(skipPending: true) {
        case .success(let known): inputs = known
        case .failure(let blocked): return blocked.result
        }
        var result = CommonData.combined(inputs)
        if case .known(var t) = result {
            if let n = r.int("n_out"), let axis = t.featureAxis, t.dims[axis].size != n {
                t = t.replacing(axis: axis, with: .feature("\(r.name):feature-dense", n))
            }
            if let kind = r.string("kind"), ["logical_and", "logical_or"].contains(kind) { t.dtype = "bool" }
            result = .known(t)
        }
        return result
    }

    static func compare(_ r: ShapeRequest) -> TemplateResult {
        let inputs: [TensorTemplate]
        switch r.knownSources(skipPending: true) {
        case .success(let known): inputs = known
        case .failure(let blocked): return blocked.result
        }
        return CommonData.combined(inputs).map { t in
            var out = t
            out.dtype = "bool"
            out.sparseDim = nil
            return .known(out)
        }
    }

    static func switchLayer(_ r: ShapeRequest) -> TemplateResult {
        var inputs: [TensorTemplate] = []
        for option in ["condition", "true_from", "false_from"] {
            guard let input = r.optionInput(option) else { continue }
            guard case .known(let t) = input else { return input.isPending ? input : .unknown("an input of 'switch' is not known") }
            inputs.append(option == "condition" ? TensorTemplate(dims: t.dims, dtype: "float32") : t)
        }
        guard !inputs.isEmpty else { return .unknown("switch without layer inputs") }
        let values = inputs.count > 1 ? Array(inputs.dropFirst()) : inputs
        return CommonData.combined(inputs).map { t in
            var out = t
            out.dtype = values.first?.dtype ?? "float32"
            out.sparseDim = values.first?.sparseDim
            return .known(out)
        }
    }

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

    static func gating(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            guard let f = t.featureDim, let size = f.size, size % 2 == 0 else { return .unknown("gating needs an even feature dim") }
            return .known(withNewFeature(t, size: r.outSize ?? size / 2, request: r))
        }
    }

    static func reduce(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            guard let spec = r.option("axis") ?? r.option("axes"), let axes = AxisSpec.axes(spec, in: t), !axes.isEmpty else {
                return .unknown("reduce axes not resolved")
            }
            let mode = (r.string("mode") ?? "").lowercased()
            var out = t
            if r.bool("keep_dims") == true {
                for axis in axes { out = out.replacing(axis: axis, with: Dim(kind: t.dims[axis].kind, name: "\(r.name):keep-dim-\(axis)", size: 1)) }
                return .known(out)
            }
            let feature = t.featureDim
            for axis in axes.sorted(by: >) { out = out.removing(axis: axis) }
            if let feature, out.contains(feature) { out.explicitFeatureAxis = out.dims.firstIndex(of: feature) }
            if mode.hasPrefix("arg") {
                guard axes.count == 1 else { return .unknown("argmax over several axes") }
                out.dtype = "int32"
                out.sparseDim = t.dims[axes[0]]
            } else if mode == "any" || mode == "all" {
                out.dtype = "bool"
            }
            return .known(out)
        }
    }

    static func reduceOut(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            guard let pieces = r.int("num_pieces"), pieces > 0, let f = t.featureDim, let size = f.size, size % pieces == 0 else {
                return .unknown("reduce_out needs num_pieces dividing the feature dim")
            }
            return .known(withNewFeature(t, size: size / pieces, request: r))
        }
    }

    static func variable(_ r: ShapeRequest) -> TemplateResult {
        guard let shape = r.option("shape")?.elements else { return .unknown("variable without shape") }
        var dims: [Dim] = r.bool("add_batch_axis") == true ? [.batch] : []
        for (i, item) in shape.enumerated() {
            if case .dim(let d)? = item.marker {
                dims.append(Dim(kind: d.kind == .spatial ? .spatial : .feature, name: d.description, size: d.dimension, autoGenerated: false))
            } else if let size = item.intValue {
                dims.append(Dim(kind: i == shape.count - 1 ? .feature : .spatial, name: "\(r.name):dim\(i)", size: size))
            } else {
                return .unknown("variable shape entry is not an integer")
            }
        }
        return .known(TensorTemplate(dims: dims, dtype: r.string("dtype") ?? "float32"))
    }
}
