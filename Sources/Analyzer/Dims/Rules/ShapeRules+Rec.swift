import NetConfig

extension ShapeRules {
    /// `subnetwork`: the template of its `output` layer in the same context.
    static func subnetwork(_ r: ShapeRequest) -> TemplateResult {
        guard let scope = r.node.childScope, let output = r.engine.graph[scope: scope].layerByName["output"] else {
            return .unknown("subnetwork without an 'output' layer")
        }
        return r.engine.template(output, loops: r.loops)
    }

    /// `rec`: with a dict unit, the per-frame `output` accumulated over the loop (time-major); with a built-in unit, see `builtinRecurrent`.
    static func rec(_ r: ShapeRequest) -> TemplateResult {
        switch r.layer.children {
        case .recUnit(let unit):
            guard let scope = r.node.childScope, let output = r.engine.graph[scope: scope].layerByName["output"] else {
                _ = unit
                return .unknown("rec unit without an 'output' layer")
            }
            // A unit's `data:source` is its input without the time axis (`copy_template_excluding_time_dim`,
            // rec.py:1393): an input without one (a frame, e.g. inside another loop) fails that assertion.
            let sourceResults = r.sources()
            if !sourceResults.isEmpty, sourceResults.allSatisfy({ $0.template != nil }),
                case .known(let input) = concatenated(sourceResults, name: r.name, broadcastMatches: broadcastMatches(r)), input.timeAxis == nil
            {
                return .failed("rec '\(r.name)': its input \(input) has no time axis for the unit's loop")
            }
            // The rec output is the unit's per-frame `output` template, accumulated over the loop (time-major).
            let inner = r.loops + [r.node.id]
            let perFrame = r.engine.template(output, loops: inner)
            // The loop's time only once the frame is known (as `convert` asks for it): asked while a deep chain is
            // deferred, it would start another evaluation of the rec's input.
            guard case .known(let frame) = perFrame, let loopTime = r.engine.loopDim(r.node.id) else {
                return r.engine.convert(perFrame, from: inner, to: r.loops)
            }
            // `_check_output_template_shape` (rec.py:2376): the per-frame output must not have the loop's time.
            if frame.contains(loopTime) {
                return .failed("rec '\(r.name)': its unit's 'output' has the loop's time axis \(loopTime) in every frame")
            }
            // Moved out of the loop, the unit's output layer itself becomes the rec layer's output, time-major. If
            // its time is not the loop's (a target's own time, say), RETURNN keeps that time (rec.py:3608-3629;
            // refused from behavior_version 13 on).
            let placement = r.engine.plans[r.node.id]?.placement(of: "output")
            if placement == .movedIn || placement == .movedOut,
                case .known(var t) = r.engine.template(output, loops: r.engine.actualLoops(output)), !t.contains(loopTime)
            {
                if behaviorVersion(r) >= 13 {
                    return .failed("rec '\(r.name)': time-dim-tag mismatch between the loop (\(loopTime)) and its moved-out 'output' \(t)")
                }
                // `copy_as_time_major` asserts a time axis (_tensor_extra.py:677).
                guard let time = t.timeDim else {
                    return .failed("rec '\(r.name)': its moved-out 'output' \(t) has no time axis (RETURNN asserts one)")
                }
                t = t.moving(time, to: 0)
                return .known(t)
            }
            return r.engine.convert(perFrame, from: inner, to: r.loops)
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
        // The input's feature dim is replaced, so a pending `prev:` input (its own state as input) is dropped
        // in the first pass over a cycle, as RETURNN's template construction does.
        let results = r.sources()
        let ready = results.filter { !$0.isPending }
        let input = ready.isEmpty ? (results.first ?? .unknown("no input")) : concatenated(ready, name: r.name, broadcastMatches: broadcastMatches(r))
        return input.map { t in
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

    /// `rnn_cell`: one step `[B,n_out]` inside a loop, over the time axis when moved out.
    static func rnnCell(_ r: ShapeRequest) -> TemplateResult {
        builtinRecurrent(r, featureSuffix: "feature")
    }

    /// `rec_unstack`: inside a loop, one frame (the loop's time dim removed) of a tensor over that time.
    static func recUnstack(_ r: ShapeRequest) -> TemplateResult {
        // Built inside the loop (not moved out), RETURNN raises NotImplementedError (rec.py:5832).
        if r.inLoop, r.engine.actualLoops(r.node.id) == r.loops {
            return .failed("rec_unstack '\(r.name)' must be moved out of its loop (it runs inside it without optimize_move_layers_out)")
        }
        return concatSources(r).map { t in
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

    /// `choice`: without search the target (RETURNN drops `from`); else int32 sparse over the class dim.
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

    /// `decide`: the input (the beam removed, which the batch dim hides).
    static func decide(_ r: ShapeRequest) -> TemplateResult { concatSources(r) }

    /// `:i`: the scalar int32 step index (accumulated over the loop when moved out).
    static func stepIndex(_ r: ShapeRequest) -> TemplateResult {
        // A layer of class ':i' under another name can be moved out of the loop (RETURNN keeps only the layer
        // named ':i' in it); outside the loop it is the range over the loop's time, `[T]` without batch (rec.py:4987).
        if !r.inLoop, let rec = r.engine.recUnitOwner(r.node.id), let time = r.engine.loopDim(rec) {
            return .known(TensorTemplate(dims: [time], dtype: "int32"))
        }
        return .known(TensorTemplate(dims: [], dtype: "int32"))
    }

    /// `self_attention` (`SelfAttentionLayer`): `[B,T,<name>_self_att_feat]` from the first source's batch and
    /// time dims (`[B,F]` without time axis, inside a loop).
    static func selfAttention(_ r: ShapeRequest) -> TemplateResult {
        guard let first = r.sources().first else { return .failed("self_attention without input") }
        return first.map { input in
            let feature: Dim
            if let declared = r.declaredOutDim {
                feature = declared
            } else if let n = r.int("n_out") {
                feature = Dim.feature("\(r.name)_self_att_feat", n)
            } else {
                return .failed("self_attention needs n_out or out_dim")
            }
            guard input.batchAxis != nil, !input.isSparse else { return .unknown("self_attention input not [B,T,F]") }
            var dims: [Dim] = [.batch]
            if let time = input.timeDim { dims.append(time) }
            dims.append(feature)
            return .known(TensorTemplate(dims: dims, dtype: "float32"))
        }
    }

    /// `positional_encoding`: the input with a new `n_out` feature dim (the base rule), or the input itself with
    /// `add_to_input`.
    static func positionalEncoding(_ r: ShapeRequest) -> TemplateResult {
        if r.bool("add_to_input") == true { return concatSources(r) }
        guard let n = r.outSize else { return .unknown("no 'n_out'") }
        return concatSources(r).map { t in .known(withNewFeature(t, size: n, request: r, declared: r.declaredOutDim)) }
    }

    /// `relative_positional_encoding`: `[T,T,F]` over the input's time dim; without time axis (inside a loop)
    /// `[dummy(1), time-so-far, F]`.
    static func relativePositionalEncoding(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            for key in ["query_spatial_dim", "key_value_spatial_dim", "out_dim"] where r.option(key) != nil {
                return .unknown("relative_positional_encoding with '\(key)'")
            }
            guard let n = r.int("n_out") else { return .failed("relative_positional_encoding needs n_out or out_dim") }
            let feature = Dim.feature("\(r.name)_rel_pos_enc_feat", n)
            if let time = t.timeDim { return .known(TensorTemplate(dims: [time, time, feature])) }
            return .known(TensorTemplate(dims: [Dim.spatial("\(r.name)_rel_pos_enc_dummy", 1), Dim.spatial("\(r.name)_rel_pos_enc_time", nil), feature]))
        }
    }

    /// `get_last_hidden_state`: `[B,n_out]`.
    static func getLastHiddenState(_ r: ShapeRequest) -> TemplateResult {
        guard let n = r.outSize else { return .unknown("no 'n_out'") }
        return .known(TensorTemplate(dims: [.batch, .feature("\(r.name):feature-dense", n)]))
    }

    /// `generic_attention` (`GenericAttentionLayer`): a `dot` of the weights (batch-major, size-1 axes squeezed)
    /// with the base, reducing the weights' time axis against the base's time axis: `[B, shared weight axes…,
    /// other weight axes…, base feature]`; the base's other axes must match weight axes of the same size.
    static func genericAttention(_ r: ShapeRequest) -> TemplateResult {
        guard let baseInput = r.optionInput("base"), let weightsInput = r.optionInput("weights") else {
            return .unknown("generic_attention without base or weights")
        }
        guard case .known(let base) = baseInput, case .known(let rawWeights) = weightsInput else {
            return baseInput.isPending ? baseInput : (weightsInput.isPending ? weightsInput : .unknown("attention inputs not known"))
        }
        let autoSqueeze = r.option("auto_squeeze")?.boolValue ?? true
        guard let baseTime = base.timeAxis, let baseFeature = base.featureAxis, base.batchAxis != nil else {
            return .failed("generic_attention base needs batch, time and feature axes")
        }
        var weights = batchMajor(rawWeights)
        func reduceAxis(_ w: TensorTemplate) -> Int? {
            guard let time = w.timeAxis else { return nil }
            let dynamic = w.dims.indices.filter { $0 != w.batchAxis && w.dims[$0].isDynamic }
            if !dynamic.contains(time) || dynamic.count == 1 { return time }
            let matched = dynamic.filter { w.dims[$0] == base.dims[baseTime] }
            if matched.contains(time) { return time }
            return matched.last
        }
        guard let reduce = reduceAxis(weights) else { return .failed("generic_attention weights need a time axis matching the base's") }
        guard weights.dims[reduce].size == base.dims[baseTime].size else { return .failed("generic_attention: attended axes differ in size") }
        var baseRest = base.dims.indices.filter { $0 != base.batchAxis && $0 != baseTime && $0 != baseFeature }
        var weightsRest = weights.dims.indices.filter { $0 != weights.batchAxis && $0 != reduce }
        var squeeze: [Int] = []
        var shared: [(Int, Int)] = []
        for axis in weightsRest.reversed() {
            if let last = baseRest.last, weights.dims[axis].size == base.dims[last].size {
                shared.append((axis, last))
                baseRest.removeLast()
                weightsRest.removeAll { $0 == axis }
                continue
            }
            if autoSqueeze, weights.dims[axis].size == 1 {
                weightsRest.removeAll { $0 == axis }
                squeeze.append(axis)
            }
        }
        guard baseRest.isEmpty else { return .failed("generic_attention: base axes \(baseRest.map { base.dims[$0].description }) match no weight axis") }
        let reduceDim = weights.dims[reduce]
        let keptDims = weightsRest.map { weights.dims[$0] }
        for axis in squeeze.sorted(by: >) { weights = weights.removing(axis: axis) }
        // The dot: remaining (shared) weight axes in order, then the weights' own axes, then the base feature.
        let shareDims = weights.dims.filter { $0 != reduceDim && !keptDims.contains($0) }
        let dims = shareDims + keptDims + [base.dims[baseFeature]]
        return .known(TensorTemplate(dims: dims, dtype: weights.isSparse ? base.dtype : weights.dtype))
    }

    // MARK: - Masked computation and unmask

    /// `masked_computation`: its unit's output per frame inside a loop, on T' outside, unmasked to T when moved out of a loop; RETURNN's build-time refusals are `failed`.
    static func maskedComputation(_ r: ShapeRequest) -> TemplateResult {
        let engine = r.engine
        let id = r.node.id
        guard let unit = r.node.maskedUnit else { return .unknown("masked_computation without a unit dict") }
        let isActual = engine.actualLoops(id) == r.loops
        // RETURNN asks a masked_computation for its initial output only for some readers (`prev:masked`, an
        // unmask over time), and then refuses an initial_output set on it.
        if let initial = r.option("initial_output"), !initial.isNull,
            let reader = LoopPlan.initialOutputReader(of: id, plans: engine.plans, graph: engine.graph)
        {
            return .failed("initial_output on masked_computation '\(r.name)': should be configured via the unit ('\(engine.graph[reader].name)' needs its initial output)")
        }
        // The unit's "data" is the layer's single source: with several, RETURNN asserts `len(sources) == 1`
        // (rec.py:9426) as soon as the unit reads it.
        if engine.graph.sources(of: id).count > 1, engine.maskedLayersWhoseUnitReadsData.contains(id) {
            return .failed("masked_computation '\(r.name)' has \(engine.graph.sources(of: id).count) sources, but its unit's 'data' must be one layer")
        }
        // T' declared as T itself: RETURNN's dim tags form a cycle and it fails (`_dim_extra.py:1702`, verified).
        if case .dim(let inDim)? = r.option("in_spatial_dim")?.marker, case .dim(let outDim)? = r.option("out_spatial_dim")?.marker,
            inDim.description == outDim.description
        {
            return .failed("masked_computation '\(r.name)': out_spatial_dim is in_spatial_dim ('\(inDim.description)'); T' must be a new dim")
        }
        if r.option("masked_from")?.stringValue != nil, r.inLoop, isActual {
            return .failed("masked_computation '\(r.name)' with masked_from cannot be built inside a loop")
        }
        // With masked_from, T' is masked_from's time dim, which RETURNN then derives from the masked axis T
        // (`derive_from`, rec.py:9495): a time dim already derived from another dim (e.g. `1+time` of a
        // prefix_in_time) fails its assertion `derived_from_tag == base`.
        if r.option("masked_from")?.stringValue != nil, !r.inLoop, let dims = engine.maskedDims(id, loops: r.loops),
            let base = dims.outSpatial.derivedFrom, base != dims.inSpatial.name, dims.outSpatial != dims.inSpatial
        {
            return .failed("masked_computation '\(r.name)': masked_from's time dim '\(dims.outSpatial.name)' is derived from '\(base)', not from the masked axis '\(dims.inSpatial.name)'")
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
        if let problem = maskTimeMismatch(maskTime: nonBatch[0], masked: masked, loops: loops, engine: engine) { return problem }
        return nil
    }

    /// At top level, a mask over another time axis than the masked input's: RETURNN asserts `mask and source time
    /// dim do not match` (rec.py:9154) for every unit input that has the masked axis T. Not checked for layers
    /// moved out of a loop, where the rec input's time also counts as the loop's.
    static func maskTimeMismatch(maskTime: Dim, masked: LayerID, loops: [LayerID], engine: TemplateEngine) -> String? {
        guard loops.isEmpty, engine.recUnitOwner(masked) == nil, let axes = engine.maskedDims(masked, loops: loops),
            let first = engine.graph.sources(of: masked).first,
            let source = engine.input(first.target, ref: first.ref, consumer: masked, loops: loops).template,
            maskTimeDiffers(maskTime, maskedAxis: axes.inSpatial, input: source)
        else { return nil }
        return "the mask's time axis \(maskTime) is not the masked axis \(axes.inSpatial) (RETURNN: mask and source time dim do not match)"
    }

    /// The rule behind `mask and source time dim do not match`: the input has the masked axis T, and the mask's
    /// time axis is another dim (shared by the dims engine and RL107).
    static func maskTimeDiffers(_ maskTime: Dim, maskedAxis: Dim, input: TensorTemplate) -> Bool {
        maskTime != maskedAxis && input.contains(maskedAxis)
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

    /// `unmask`: per frame inside a loop; outside, the source on the mask's time dim, time-major.
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
