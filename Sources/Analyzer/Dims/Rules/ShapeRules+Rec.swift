import NetConfig

extension ShapeRules {
    static func subnetwork(_ r: ShapeRequest) -> TemplateResult {
        guard let scope = r.node.childScope, let output = r.engine.graph[scope: scope].layerByName["output"] else {
            return .unknown("subnetwork without an 'output' layer")
        }
        return r.engine.template(output, loops: r.loops)
    }

    static func rec(_ r: ShapeRequest) -> TemplateResult {
        switch r.layer.children {
        case .recUnit(let unit):
            guard let scope = r.node.childScope, let output = r.engine.graph[scope: scope].layerByName["output"] else {
                _ = unit
                return .unknown("rec unit without an 'output' layer")
            }
            // The rec output is the unit's per-frame `output` template, accumulated over the loop (time-major).
            let inner = r.loops + [r.node.id]
            return r.engine.convert(r.engine.template(output, loops: inner), from: inner, to: r.loops)
        case .builtinUnit:
            return builtinRecurrent(r, featureSuffix: "feature")
        default:
            return .unknown("rec without a unit")
        }
    }

    /// A rec layer with a built-in unit (`lstm`, `nativelstm2`, …) or an `rnn_cell`: over the input's time
    /// axis `[T,B,n_out]`, or one step `[B,n_out]` when the input has no time axis (inside a loop).
    static func builtinRecurrent(_ r: ShapeRequest, featureSuffix: String) -> TemplateResult {
        guard let n = r.outSize else { return .unknown("no 'n_out'") }
        return concatSources(r).map { t in
            let feature = r.declaredOutDim ?? Dim.feature("\(r.name):\(featureSuffix)", n)
            var base = t
            if let f = t.featureAxis { base = base.removing(axis: f) }
            base.sparseDim = nil
            base.dtype = "float32"
            if let time = base.timeDim, !(r.inLoop && r.layer.className == "rnn_cell") {
                base = base.moving(time, to: 0)
            }
            var out = base.inserting(feature, at: base.dims.count)
            out.explicitFeatureAxis = out.dims.count - 1
            return .known(out)
        }
    }

    static func rnnCell(_ r: ShapeRequest) -> TemplateResult {
        builtinRecurrent(r, featureSuffix: "feature")
    }

    static func recUnstack(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            guard r.inLoop, let rec = r.loops.last, let time = r.engine.loopDim(rec) else { return .known(t) }
            return .known(t.removing(time))
        }
    }

    /// True for a choice layer that does not search (training/eval): RETURNN drops its `from` and returns
    /// the target (`ChoiceLayer.transform_config_dict`).
    static func choiceUsesTarget(_ layer: Layer) -> Bool {
        layer.option("search")?.boolValue != true && layer.option("add_to_beam_scores")?.boolValue != true
            && !LoopPlan.isSet(layer.option("scheduled_sampling")) && layer.option("target")?.isNull != true
    }

    static func choice(_ r: ShapeRequest) -> TemplateResult {
        if choiceUsesTarget(r.layer), let key = targetKey(r) {
            let ref = LayerRef(parsing: "data:\(key)", span: r.layer.nameSpan, option: "target")
            return r.engine.input(.externData(key: key), ref: ref, consumer: r.node.id, loops: r.loops)
        }
        return concatSources(r).map { t in
            var sparseDim = t.featureDim
            if let target = r.option("target"), target.stringValue != nil, let dim = targetDim(r) { sparseDim = dim }
            guard let sparseDim else { return .unknown("choice without a class dim") }
            var out = t.featureDim.map { t.removing($0) } ?? t
            out.sparseDim = sparseDim
            out.dtype = "int32"
            return .known(out)
        }
    }

    static func decide(_ r: ShapeRequest) -> TemplateResult { concatSources(r) }

    static func stepIndex(_ r: ShapeRequest) -> TemplateResult {
        .known(TensorTemplate(dims: [], dtype: "int32"))
    }

    static func selfAttention(_ r: ShapeRequest) -> TemplateResult {
        guard let n = r.outSize else { return .unknown("no 'n_out'") }
        return concatSources(r).map { t in .known(withNewFeature(t, size: n, request: r, declared: r.declaredOutDim)) }
    }

    static func positionalEncoding(_ r: ShapeRequest) -> TemplateResult {
        if r.bool("add_to_input") == true { return concatSources(r) }
        guard let n = r.outSize else { return .unknown("no 'n_out'") }
        let feature = r.declaredOutDim ?? Dim.feature("\(r.name):feature-dense", n)
        if r.inLoop { return .known(TensorTemplate(dims: [feature])) }
        return concatSources(r).map { t in
            guard let time = t.timeDim else { return .unknown("positional_encoding input without time axis") }
            return .known(TensorTemplate(dims: [time, feature]))
        }
    }

    static func getLastHiddenState(_ r: ShapeRequest) -> TemplateResult {
        guard let n = r.outSize else { return .unknown("no 'n_out'") }
        return .known(TensorTemplate(dims: [.batch, .feature("\(r.name):feature-dense", n)]))
    }

    static func genericAttention(_ r: ShapeRequest) -> TemplateResult {
        guard let baseInput = r.optionInput("base"), let weightsInput = r.optionInput("weights") else {
            return .unknown("generic_attention without base or weights")
        }
        guard case .known(let base) = baseInput, case .known(let weights) = weightsInput else {
            return baseInput.isPending ? baseInput : (weightsInput.isPending ? weightsInput : .unknown("attention inputs not known"))
        }
        guard let attended = base.timeDim, weights.contains(attended) else { return .unknown("attended axis not found") }
        let extra = weights.dims.filter { $0.kind != .batch && $0 != attended && !base.contains($0) }
        guard extra.count <= 1 else { return .unknown("attention weights with several extra axes") }
        var out = base.removing(attended)
        for dim in extra { out = out.inserting(dim, at: out.featureAxis ?? out.dims.count) }
        return .known(out)
    }

    // MARK: - Masked computation and unmask

    static func maskedComputation(_ r: ShapeRequest) -> TemplateResult {
        let engine = r.engine
        let id = r.node.id
        guard let unit = r.node.maskedUnit else { return .unknown("masked_computation without a unit dict") }
        let isActual = engine.actualLoops(id) == r.loops
        if let initial = r.option("initial_output"), !initial.isNull, r.inLoop, isActual {
            return .failed("initial_output on masked_computation '\(r.name)': should be configured via the unit")
        }
        if r.option("masked_from")?.stringValue != nil, r.inLoop, isActual {
            return .failed("masked_computation '\(r.name)' with masked_from cannot be built inside a loop")
        }
        if let mask = r.optionInput("mask"), case .known(let m) = mask, r.option("masked_from")?.stringValue == nil {
            if let problem = maskProblem(m, inLoop: r.inLoop, masked: id, loops: r.loops, engine: engine) {
                return .failed("\(r.name): invalid mask \(m) (\(problem))")
            }
        }
        return maskedOutput(unit: engine.template(unit, loops: r.loops), masked: id, loops: r.loops, engine: engine)
    }

    /// Why a mask template fails RETURNN's assertion (rec.py:9114-9121): bool with `shape == ()` inside a loop,
    /// bool with `shape == (None,)` and a time axis outside.
    static func maskProblem(_ m: TensorTemplate, inLoop: Bool, masked: LayerID, loops: [LayerID], engine: TemplateEngine) -> String? {
        if m.dtype != "bool" { return "dtype \(m.dtype), expected bool" }
        let nonBatch = m.dims.filter { $0.kind != .batch }
        if inLoop {
            return nonBatch.isEmpty ? nil : "inside a loop the mask must be [B]"
        }
        guard nonBatch.count == 1, nonBatch[0].isDynamic else { return "outside a loop the mask must be [B,T]" }
        return nil
    }

    /// The output of a masked_computation from its unit's output: per frame inside a loop, on T' at top level,
    /// and unmasked back to T (time-major) when the layer was moved out of its loop (PR #976).
    static func maskedOutput(unit: TemplateResult, masked: LayerID, loops: [LayerID], engine: TemplateEngine) -> TemplateResult {
        unit.map { t in
            if !loops.isEmpty || engine.graph[masked].layer.option("masked_from")?.stringValue != nil { return .known(t) }
            guard let rec = engine.recUnitOwner(masked), !loops.contains(rec) else { return .known(t) }
            guard let dims = engine.maskedDims(masked, loops: loops) else { return .unknown("masked axis unknown") }
            guard t.contains(dims.outSpatial) else { return .known(t) }
            return .known(t.replacing(dims.outSpatial, with: dims.inSpatial).moving(dims.inSpatial, to: 0))
        }
    }

    static func unmask(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            if r.inLoop {
                guard let time = t.timeDim else { return .known(t) }
                return .known(t.removing(time))
            }
            guard let time = t.timeDim else { return .known(t) }
            guard let maskInput = r.optionInput("mask") else { return .unknown("unmask without mask") }
            guard case .known(let mask) = maskInput else { return .unknown("unmask mask not known") }
            guard let maskTime = mask.timeDim else { return .unknown("unmask mask without time axis") }
            return .known(t.replacing(time, with: maskTime).moving(maskTime, to: 0))
        }
    }
}
