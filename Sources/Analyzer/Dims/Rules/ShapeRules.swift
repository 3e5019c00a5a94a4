import NetConfig

/// Output-shape rules per layer class (RETURNN's `get_out_data_from_opts`, §6.5 of the semantics notes).
/// A class without a rule, or an option a rule does not model, gives `.unknown`: never a guess.
enum ShapeRules {
    typealias Rule = @Sendable (ShapeRequest) -> TemplateResult

    /// The rule of every modelled class (aliases included).
    static let table: [String: Rule] = {
        var t: [String: Rule] = [:]
        for name in ["copy", "dropout", "identity", "print", "scaled_grad", "batch_norm", "layer_norm", "norm",
                     "seq_len_mask", "synthetic_gradient", "hidden"] {
            t[name] = sameAsInput
        }
        t["source"] = source
        t["cast"] = cast
        t["activation"] = activation
        t["linear"] = linear
        t["softmax"] = linear
        t["combine"] = combine
        t["eval"] = combine
        t["compare"] = compare
        t["switch"] = switchLayer
        t["constant"] = constant
        t["length"] = length
        t["cumsum"] = sameAsInput
        t["gating"] = gating
        t["reduce"] = reduce
        t["reduce_out"] = reduceOut
        t["expand_dims"] = expandDims
        t["squeeze"] = squeeze
        t["merge_dims"] = mergeDims
        t["split_dims"] = splitDims
        t["slice"] = slice
        t["window"] = window
        t["pad"] = pad
        t["range_in_axis"] = rangeInAxis
        t["reinterpret_data"] = reinterpretData
        t["gather"] = gather
        t["gather_nd"] = gatherNd
        t["softmax_over_spatial"] = softmaxOverSpatial
        t["prefix_in_time"] = prefixInTime
        t["postfix_in_time"] = postfixInTime
        t["slice_nd"] = sliceNd
        t["transposed_conv"] = transposedConv
        t["shift_axis"] = shiftAxis
        t["forced_align"] = forcedAlign
        t["relative_positional_encoding"] = relativePositionalEncoding
        t["mel_filterbank"] = melFilterbank
        t["stft"] = stft
        t["range_from_length"] = rangeFromLength
        t["dot"] = dot
        t["concat"] = concat
        t["conv"] = convolution
        t["pool"] = convolution
        t["swap_axes"] = swapAxes
        t["subnetwork"] = subnetwork
        t["rec"] = rec
        t["rnn_cell"] = rnnCell
        t["rec_unstack"] = recUnstack
        t["choice"] = choice
        t["decide"] = decide
        t[":i"] = stepIndex
        t["self_attention"] = selfAttention
        t["positional_encoding"] = positionalEncoding
        t["masked_computation"] = maskedComputation
        t["unmask"] = unmask
        t["variable"] = variable
        t["get_last_hidden_state"] = getLastHiddenState
        t["generic_attention"] = genericAttention
        return t
    }()

    /// The classes with a shape rule.
    static var modelledClasses: [String] { table.keys.sorted() }

    /// Applies the rule of a class, after the checks every layer gets.
    static func apply(className: String, _ request: ShapeRequest) -> TemplateResult {
        guard let rule = table[className] else { return .unknown("layer class '\(className)' is not modelled") }
        guard let outType = request.option("out_type"), !outType.isNull else { return rule(request) }
        // Options that replace the computed template with something the linter cannot see.
        if outType.containsOpaqueMarker { return .unknown("'out_type' is a Python object") }
        guard let entries = outType.entries else { return .unknown("'out_type' is not a dict") }
        let keys = Set(entries.compactMap(\.key.stringValue))
        // JSON cannot hold the tuple RETURNN compares `shape` with (base.py:221), so what the original config
        // did is not knowable here.
        if !keys.isDisjoint(with: ["shape", "dims", "dim_tags"]) { return .unknown("'out_type' sets the shape") }
        return rule(request).map { t in
            if className == "eval" || className == "combine" { return combineOutType(t, outType, keys: keys, request) }
            // Other classes build their own template; LayerBase only asserts `dim` (base.py:223).
            if keys.subtracting(["dim"]).isEmpty, let dim = outType["dim"] {
                let current = t.sparseDim?.size ?? t.featureDim?.size
                if dim.isNull ? current == nil : dim.intValue == current { return .known(t) }
                return dim.intValue == nil && !dim.isNull ? .unknown("'out_type' dim not understood") : .failed("out_type dim " + Self.pythonInt(dim.intValue) + " does not match the output \(t)")
            }
            return .unknown("'out_type' of class '\(className)' is not modelled")
        }
    }

    /// `CombineLayer.get_out_data_from_opts` with a dict `out_type` (no shape): the common data's kwargs updated
    /// by `out_type` (`dim` makes sparse data get a new sparse dim, `sparse` sets or drops it).
    // `@_optimize(none)`: the Swift 6.3 optimizer crashes on this function (CopyPropagation "Found ownership
    // error") in release builds; it runs once per layer with `out_type`, so speed does not matter here.
    @_optimize(none)
    static func combineOutType(_ t: TensorTemplate, _ outType: ConfigNode, keys: Set<String>, _ r: ShapeRequest) -> TemplateResult {
        let allowed: Set<String> = ["dim", "dtype", "sparse", "time_dim_axis", "batch_dim_axis", "feature_dim_axis"]
        guard keys.isSubset(of: allowed) else { return .unknown("'out_type' keys \(keys.subtracting(allowed).sorted()) not modelled") }
        var out = t
        if let dtype = outType["dtype"] {
            guard let text = dtype.stringValue else { return .unknown("'out_type' dtype not understood") }
            out.dtype = text
        }
        // The data name RETURNN's common data has (a single source keeps its own), for a new sparse dim.
        let sources = r.engine.graph.sources(of: r.node.id)
        var dataName = "\(r.name)_output"
        if sources.count == 1 {
            switch sources[0].target {
            case .externData(let key): dataName = key
            case .layer(let id), .previous(let id): dataName = "\(r.engine.graph[id].name)_output"
            default: break
            }
        }
        let sparseFlag = outType["sparse"]
        if let sparseFlag, sparseFlag.boolValue == nil { return .unknown("'out_type' sparse not understood") }
        let dimNode = outType["dim"]
        if let dimNode, !dimNode.isNull, dimNode.intValue == nil { return .unknown("'out_type' dim not understood") }
        let wantsSparse = sparseFlag?.boolValue ?? t.isSparse
        if wantsSparse {
            if dimNode == nil && !t.isSparse { return .unknown("'out_type' sparse without dim") }
            if let dimNode {
                let size = dimNode.intValue
                if t.sparseDim?.size != size || size == nil {
                    // The source's sparse dim is taken over when the size is equal (base.py:519-526).
                    out.sparseDim = Dim(kind: .feature, name: "\(dataName):sparse-dim", size: size)
                }
            }
        } else {
            out.sparseDim = nil
            if let dimNode {
                let current = out.featureDim?.size
                if dimNode.intValue != current || (dimNode.isNull && current != nil) {
                    return .failed("out_type dim " + Self.pythonInt(dimNode.intValue) + " does not match the output \(out)")
                }
            }
        }
        if let node = outType["batch_dim_axis"] {
            if node.intValue != out.batchAxis { return .unknown("'out_type' moves the batch axis") }
        }
        if let node = outType["time_dim_axis"] {
            if let axis = node.intValue {
                guard out.dims.indices.contains(axis) else { return .failed("out_type time_dim_axis out of range") }
                out = withTimeAxis(out, axis)
            } else if node.isNull {
                out = withTimeAxis(out, nil)
            } else {
                return .unknown("'out_type' time_dim_axis not understood")
            }
        }
        if let node = outType["feature_dim_axis"] {
            if let axis = node.intValue {
                guard out.dims.indices.contains(axis) else { return .failed("out_type feature_dim_axis out of range") }
                out.explicitFeatureAxis = axis
                out.noFeatureAxis = false
            } else if node.isNull {
                out.explicitFeatureAxis = nil
                out.noFeatureAxis = true
            } else {
                return .unknown("'out_type' feature_dim_axis not understood")
            }
        }
        return .known(out)
    }

    // MARK: - Helpers

    /// An optional integer as Python prints it (`None` for nil). A plain function: the same expression inline in
    /// a string interpolation crashes the Swift 6.3 optimizer (CopyPropagation) in release builds.
    static func pythonInt(_ value: Int?) -> String {
        guard let value else { return "None" }
        return String(value)
    }

    /// A dim name as an operand of dim math, parenthesised like RETURNN when it has one of ` +-/`.
    static func operand(_ name: String) -> String { DimMath.bracketed(name) }

    /// RETURNN's name of a sum of dims: a left fold, each operand parenthesised when it has operators.
    static func sumName(_ names: [String]) -> String {
        DimMath.sum(names.map { Dim.feature($0, nil) })?.name ?? ""
    }

    /// The dim a `$dim` marker declares (kind from the marker), or nil for another value.
    static func markerDim(_ node: ConfigNode?) -> Dim? {
        guard case .dim(let d)? = node?.marker else { return nil }
        switch d.kind {
        case .batch: return .batch
        case .spatial: return Dim(kind: .spatial, name: d.description, size: d.dimension, autoGenerated: false)
        case .feature: return Dim(kind: .feature, name: d.description, size: d.dimension, autoGenerated: false)
        }
    }

    /// Why an axis description cannot be resolved on `t`, if it is `T`/`time` and `t` has no time axis (a frame
    /// inside a loop): `get_axes_from_description` asserts `time_dim_axis is not None` (_tensor_extra.py:2471),
    /// and RETURNN builds every unit layer's template per frame first, so the layer fails in every mode.
    static func missingTimeAxis(_ spec: ConfigNode?, in t: TensorTemplate, layer: String) -> String? {
        guard let name = spec?.stringValue, ["t", "time"].contains(name.lowercased()), t.timeAxis == nil else { return nil }
        return "\(layer) over '\(name)' of \(t), which has no time axis"
    }

    /// Whether `get_common_data` lets an auto-generated size-1 dim match any dim of its kind (behavior version
    /// below 11, `_tensor_extra.py:3316`).
    static func broadcastMatches(_ r: ShapeRequest) -> Bool { broadcastMatches(r.engine.graph) }

    /// `broadcastMatches` for a config.
    static func broadcastMatches(_ graph: NetworkGraph) -> Bool {
        (graph.config.setting("behavior_version")?.intValue ?? 0) < 11
    }

    /// The config's `behavior_version` (0 when not set).
    static func behaviorVersion(_ r: ShapeRequest) -> Int {
        r.engine.graph.config.setting("behavior_version")?.intValue ?? 0
    }

    /// A copy whose feature axis is `axis`: left to the default rule when that gives the same axis (RETURNN's
    /// "unspecified"), else set explicitly; nil means no feature axis.
    static func withFeatureAxis(_ t: TensorTemplate, _ axis: Int?) -> TensorTemplate {
        var out = t
        out.explicitFeatureAxis = nil
        out.noFeatureAxis = false
        if out.featureAxis == axis { return out }
        if let axis { out.explicitFeatureAxis = axis } else { out.noFeatureAxis = true }
        return out
    }

    /// A copy whose time axis is `axis`: left to the default rule when that gives the same axis, else set
    /// explicitly; nil means no time axis.
    static func withTimeAxis(_ t: TensorTemplate, _ axis: Int?) -> TensorTemplate {
        var out = t
        out.explicitTimeAxis = nil
        out.noTimeAxis = false
        if out.timeAxis == axis { return out }
        if let axis { out.explicitTimeAxis = axis } else { out.noTimeAxis = true }
        return out
    }

    /// A copy with the axis at `from` moved to `to`, keeping the feature dim (`copy_move_axis`: the feature
    /// axis follows its dim and is set explicitly only when the default rule would pick another one).
    static func movingAxis(_ t: TensorTemplate, from: Int, to: Int) -> TensorTemplate {
        guard from != to, t.dims.indices.contains(from) else { return t }
        var positions = Array(t.dims.indices)
        let moved = positions.remove(at: from)
        positions.insert(moved, at: min(to, positions.count))
        var out = t
        out.dims = positions.map { t.dims[$0] }
        out = withTimeAxis(out, t.timeAxis.flatMap { positions.firstIndex(of: $0) })
        return withFeatureAxis(out, t.featureAxis.flatMap { positions.firstIndex(of: $0) })
    }

    /// Batch-major copy (`copy_as_batch_major`).
    static func batchMajor(_ t: TensorTemplate) -> TensorTemplate {
        guard let b = t.batchAxis, b != 0 else { return t }
        return movingAxis(t, from: b, to: 0)
    }

    /// Concatenation of several inputs along the feature axis (`_ConcatInputLayer` with more than one
    /// source); one input is passed through.
    static func concatenated(_ sources: [TemplateResult], name: String, broadcastMatches: Bool) -> TemplateResult {
        var known: [TensorTemplate] = []
        for source in sources {
            switch source {
            case .known(let t): known.append(t)
            case .unknown: return source
            case .failed: return .unknown("an input cannot be built")
            }
        }
        guard let first = known.first else { return .unknown("no input") }
        if known.count == 1 { return .known(first) }
        guard var common = CommonData.common(known, ignoreFeatureDim: true, broadcastMatches: broadcastMatches) else { return .unknown("no input") }
        let features = known.map(\.featureDim)
        guard features.allSatisfy({ $0 != nil }) else { return .unknown("concatenating inputs without a feature dim") }
        let dims = features.compactMap { $0 }
        guard var concatDim = DimMath.sum(dims) else { return .unknown("no input") }
        concatDim.kind = .feature
        for source in known {
            if let problem = CommonData.incompatibility(of: source.removing(source.featureDim ?? .batch), to: common.removing(common.featureDim ?? .batch)) {
                return .failed(problem)
            }
        }
        if let axis = common.featureAxis {
            common = common.replacing(axis: axis, with: concatDim)
        } else {
            common = common.inserting(concatDim, at: common.dims.count)
        }
        common.sparseDim = nil
        return .known(common)
    }

    /// The sources concatenated, or the result that blocks them.
    static func concatSources(_ request: ShapeRequest) -> TemplateResult {
        concatenated(request.sources(), name: request.name, broadcastMatches: broadcastMatches(request))
    }

    /// RETURNN's `_base_get_out_data_from_opts` for layers with a new feature dim of size `size`:
    /// the inputs' dims (feature dim dropped), with the new feature dim at the feature axis; the input's
    /// feature (or sparse) dim is taken over when it has the same size.
    static func withNewFeature(_ input: TensorTemplate, size: Int?, request: ShapeRequest, declared: Dim? = nil) -> TensorTemplate {
        var base = input
        var featureAxis = base.dims.count
        if let axis = input.featureAxis, !input.isSparse {
            featureAxis = axis
            base = base.removing(axis: axis)
        }
        base.sparseDim = nil
        base.explicitFeatureAxis = nil
        var feature = declared ?? Dim.feature("\(request.name):feature-dense", size)
        if declared == nil, let inputFeature = input.featureOrSparseDim, inputFeature.size == size, size != nil {
            feature = inputFeature
        }
        var output = base.inserting(feature, at: min(featureAxis, base.dims.count))
        // RETURNN keeps the input's (usually unspecified) feature axis: explicit only where the default differs.
        output = withFeatureAxis(output, output.dims.firstIndex(of: feature))
        if input.isSparse { output.dtype = "float32" }
        return output
    }

    /// The sparse dim of a data key (`target` of softmax/linear without `n_out`).
    static func targetDim(_ r: ShapeRequest) -> Dim? {
        guard let target = targetKey(r), let t = r.engine.externTemplate(key: target)?.template else { return nil }
        return t.sparseDim ?? t.featureDim
    }

    /// The data key of a layer's target: `target`, or for a layer with a `loss` and no target, the config's
    /// default target (`target` setting, else `classes`), as RETURNN's `get_default_target` does.
    static func targetKey(_ r: ShapeRequest) -> String? {
        if let target = r.option("target") {
            let text = target.stringValue ?? target.elements?.first?.stringValue
            guard let text, !text.hasPrefix("layer:") else { return nil }
            return text
        }
        guard let loss = r.option("loss"), loss.stringValue != nil else { return nil }
        return r.engine.graph.config.setting("target")?.stringValue ?? "classes"
    }
}
