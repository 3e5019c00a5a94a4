import NetConfig

/// Output-shape rules per layer class (RETURNN's `get_out_data_from_opts`, §6.5 of the semantics notes).
/// A class without a rule, or an option a rule does not model, gives `.unknown`: never a guess.
enum ShapeRules {
    typealias Rule = @Sendable (ShapeRequest) -> TemplateResult

    static let table: [String: Rule] = {
        var t: [String: Rule] = [:]
        for name in ["copy", "dropout", "identity", "print", "scaled_grad", "batch_norm", "layer_norm", "norm",
                     "seq_len_mask", "softmax_over_spatial", "shift_axis", "synthetic_gradient", "hidden"] {
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
        // Options that replace the computed template with something the linter cannot see.
        if request.isOpaque("out_type") { return .unknown("'out_type' is a Python object") }
        if let outType = request.option("out_type"), outType.entries != nil,
            outType["shape"] != nil || outType["dim_tags"] != nil || outType["dims"] != nil || outType["batch_dim_axis"] != nil
                || outType["time_dim_axis"] != nil || outType["feature_dim_axis"] != nil
        {
            return .unknown("'out_type' sets the shape")
        }
        var result = rule(request)
        if case .known(var t) = result, let outType = request.option("out_type"), outType.entries != nil {
            if let dtype = outType["dtype"]?.stringValue { t.dtype = dtype }
            if let dim = outType["dim"]?.intValue, let axis = t.featureAxis, t.dims[axis].size != dim {
                t = t.replacing(axis: axis, with: .feature("\(request.name):feature-dense", dim))
            }
            result = .known(t)
        }
        return result
    }

    // MARK: - Helpers

    /// A dim name for dim math, parenthesised like RETURNN when it has operators or dashes in it.
    static func operand(_ name: String) -> String {
        return name.contains(where: { " +-*/".contains($0) }) ? "(\(name))" : name
    }

    /// RETURNN's name of a sum of dims: a left fold, each operand parenthesised when it has operators.
    static func sumName(_ names: [String]) -> String {
        guard var result = names.first.map(operand) else { return "" }
        for name in names.dropFirst() { result = "\(operand(result))+\(operand(name))" }
        return result
    }

    /// Concatenation of several inputs along the feature axis (`_ConcatInputLayer` with more than one
    /// source); one input is passed through.
    static func concatenated(_ sources: [TemplateResult], name: String) -> TemplateResult {
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
        guard var common = CommonData.common(known, ignoreFeatureDim: true) else { return .unknown("no input") }
        let features = known.map(\.featureDim)
        guard features.allSatisfy({ $0 != nil }) else { return .unknown("concatenating inputs without a feature dim") }
        let dims = features.compactMap { $0 }
        let size = dims.allSatisfy({ $0.size != nil }) ? dims.compactMap(\.size).reduce(0, +) : nil
        let concatName = sumName(dims.map(\.name))
        let concatDim = Dim(kind: .feature, name: concatName, size: size)
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
        concatenated(request.sources(), name: request.name)
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
        output.explicitFeatureAxis = output.dims.firstIndex(of: feature)
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
