import NetConfig

extension ShapeRules {
    /// `expand_dims` (`ExpandDimsLayer`): a new axis of size `dim` after the feature axis (`F`), before the
    /// last axis (`spatial`/`T`, or at the end for sparse data), or at an integer axis of the batch-major input.
    static func expandDims(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { input in
            guard let axisNode = r.option("axis") else { return .unknown("expand_dims without axis") }
            var t = input
            let axis: Int
            var kind: Dim.Kind
            if let index = axisNode.intValue {
                t = batchMajor(t)
                guard index >= 0, index <= t.dims.count else { return .unknown("expand_dims axis \(index) out of range") }
                axis = t.dims.isEmpty ? 0 : index
                kind = t.featureAxis == index ? .feature : .spatial
            } else if let text = axisNode.stringValue?.lowercased() {
                switch text {
                case "f", "feature":
                    if t.isSparse { return .failed("expand_dims on the feature axis of sparse data") }
                    axis = t.dims.isEmpty ? 0 : (t.featureAxis.map { $0 + 1 } ?? t.dims.count)
                case "spatial", "time", "t":
                    axis = t.dims.isEmpty ? 0 : (t.isSparse ? t.dims.count : t.dims.count - 1)
                default:
                    return .unknown("expand_dims axis '\(text)' not modelled")
                }
                kind = text == "f" ? .feature : .spatial  // RETURNN checks `init_axis.lower() == "f"` only
            } else {
                return .unknown("expand_dims axis not understood")
            }
            var newDim: Dim
            if let declared = markerDim(r.option("dim")) {
                newDim = declared
            } else if let node = r.option("dim"), node.intValue == nil {
                return .unknown("expand_dims dim not understood")
            } else {
                newDim = Dim(kind: kind, name: "\(r.name)_expand_dims", size: r.int("dim") ?? 1)
            }
            // A feature dim added to sparse data becomes spatial (`copy_add_dim_by_tag`).
            if t.isSparse, newDim.kind == .feature { newDim.kind = .spatial }
            // `copy_add_dim_by_tag`: a set feature axis follows its dim, an unset one is re-derived.
            var out = t.inserting(newDim, at: axis)
            if newDim.kind == .feature, t.featureAxis == nil { out.noFeatureAxis = false }
            if newDim.kind == .spatial, t.timeAxis == nil { out.noTimeAxis = false }
            // A spatial axis added by name becomes the time axis when there is none (and it is not the feature).
            if let text = axisNode.stringValue?.lowercased(), ["spatial", "time", "t"].contains(text), out.timeAxis == nil,
                axis != out.batchAxis, axis != out.featureAxis
            {
                let feature = out.featureAxis
                out = withTimeAxis(out, axis)
                if out.featureAxis != feature { out = withFeatureAxis(out, feature) }
            }
            return .known(out)
        }
    }

    /// `squeeze`: the given axes removed (`auto`: all axes of size 1); a static axis of another size fails.
    static func squeeze(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            guard let spec = r.option("axis") else { return .unknown("squeeze axis not resolved") }
            let axes: [Int]
            if spec.stringValue == "auto" {
                axes = t.dims.indices.filter { t.dims[$0].size == 1 }
            } else {
                guard let found = AxisSpec.axes(spec, in: t) else { return .unknown("squeeze axis not resolved") }
                axes = found
            }
            if r.option("enforce_batch_dim_axis").map({ !$0.isNull }) == true { return .unknown("squeeze with enforce_batch_dim_axis") }
            if r.bool("allow_no_op") == true, axes.isEmpty { return .known(t) }
            if axes.contains(where: { t.dims[$0].size != 1 }) {
                return axes.contains(where: { t.dims[$0].size != nil && t.dims[$0].size != 1 })
                    ? .failed("squeeze of an axis whose size is not 1") : .unknown("squeeze of a dynamic axis")
            }
            var out = t
            for axis in axes.sorted(by: >) { out = out.removing(axis: axis) }
            return .known(out)
        }
    }

    /// `merge_dims`: the axes merged into their product (`prod(dims)`), placed at the feature axis when it is
    /// merged, else at the first merged axis; `keep_order` defaults to False before behavior version 6.
    static func mergeDims(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            guard let spec = r.option("axes"), let axes = AxisSpec.axes(spec, in: t) ?? convAliasAxes(spec, in: t, r), !axes.isEmpty else {
                return .unknown("merge_dims axes not resolved")
            }
            if r.option("out_dim") != nil || r.option("out_type").map({ !$0.isNull }) == true { return .unknown("merge_dims with out_dim/out_type") }
            let keepOrder = r.bool("keep_order") ?? (behaviorVersion(r) >= 6)
            if keepOrder, spec.elements == nil { return .failed("merge_dims with keep_order needs a list of axes") }
            let merged = keepOrder ? axes : axes.sorted()
            if merged.count <= 1 { return .known(t) }
            if merged.contains(where: { t.dims[$0].kind == .batch }) { return .unknown("merging the batch axis") }
            let parts = merged.map { t.dims[$0] }
            var newDim = parts[0]
            for part in parts.dropFirst() { newDim = DimMath.mul(newDim, part) }
            let feature = t.featureAxis
            let target: Int
            if let feature, merged.contains(feature) {
                target = feature - merged.filter { $0 < feature }.count
            } else {
                target = merged.min() ?? 0
            }
            var out = t
            out.dims = t.dims.enumerated().filter { !merged.contains($0.offset) }.map(\.element)
            out.dims.insert(newDim, at: min(target, out.dims.count))
            var newFeature: Int? = feature.map { f in
                if merged.contains(f) { return target }
                var axis = f
                for i in t.dims.indices {
                    if merged.contains(i) { axis -= 1 }
                    if i == target { axis += 1 }
                    if i >= axis { break }
                }
                return axis
            }
            if newFeature != nil, newFeature == out.batchAxis { newFeature = nil }
            func newAxis(_ old: Int) -> Int {
                if merged.contains(old) { return target }
                var axis = old
                for i in t.dims.indices {
                    if merged.contains(i) { axis -= 1 }
                    if i == target { axis += 1 }
                    if i >= axis { break }
                }
                return axis
            }
            out.explicitFeatureAxis = nil
            out.noFeatureAxis = false
            out.explicitTimeAxis = nil
            out.noTimeAxis = false
            var newTime = t.timeAxis.map(newAxis)
            if let time = newTime, time == out.batchAxis || time == newFeature, let oldTime = t.timeAxis, oldTime != t.batchAxis, oldTime != feature {
                newTime = nil  // time merged with the feature or batch axis
            }
            out = withTimeAxis(out, newTime)
            if out.featureAxis != newFeature || t.explicitFeatureAxis != nil || t.noFeatureAxis {
                if let newFeature { out.explicitFeatureAxis = newFeature } else { out.noFeatureAxis = true }
            }
            return .known(out)
        }
    }

    /// Axes named by the description of a conv/pool output dim, `stag:<layer>:conv:s<i>`: RETURNN's dim object of
    /// that axis has this description (declared the same as the computed `⌈time/2⌉` etc., which is the name we
    /// use). Resolved via the named layer's output: its i-th spatial axis, if the conv changed it.
    static func convAliasAxes(_ spec: ConfigNode, in t: TensorTemplate, _ r: ShapeRequest) -> [Int]? {
        var result: [Int] = []
        for item in spec.elements ?? [spec] {
            if let found = AxisSpec.axes(item, in: t) {
                result += found.filter { !result.contains($0) }
                continue
            }
            guard let text = item.stringValue, text.hasPrefix("stag:"), let range = Self.lastRange(of: ":conv:s", in: text),
                let index = Int(text[range.upperBound...])
            else { return nil }
            let layerName = String(text[text.index(text.startIndex, offsetBy: 5)..<range.lowerBound])
            let scope = r.engine.graph[scope: r.node.scope]
            guard let id = scope.layerByName[layerName], ["conv", "pool"].contains(r.engine.graph[id].className ?? "") else { return nil }
            let loops = r.engine.producerLoops(id, consumerLoops: r.loops)
            guard case .known(let convOut) = r.engine.template(id, loops: loops) else { return nil }
            let inputs = r.engine.graph.sources(of: id).map { r.engine.input($0.target, ref: $0.ref, consumer: id, loops: loops) }
            guard case .known(let convIn) = concatenated(inputs, name: layerName, broadcastMatches: broadcastMatches(r)) else { return nil }
            // Spatial axes of the conv output: after the batch-like axes, before the feature axis (last).
            let movedOutTime: Dim? = r.engine.recUnitOwner(id).flatMap { rec in loops.contains(rec) ? nil : r.engine.loopDim(rec) }
            let spatial = convOut.dims.dropLast().filter { $0.kind != .batch && $0 != movedOutTime }
            guard spatial.indices.contains(index) else { return nil }
            let dim = spatial[index]
            guard !convIn.contains(dim), let axis = t.dims.firstIndex(of: dim), !result.contains(axis) else { return nil }
            result.append(axis)
        }
        return result
    }

    /// `split_dims` (`SplitDimsLayer`): the axis split into `dims`; a `-1` entry takes the rest (the old dim
    /// itself when the other entries multiply to 1, else a new `<name>_split_dims<i>_rem` dim).
    static func splitDims(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { input in
            guard let spec = r.option("axis"), let items = r.option("dims")?.elements, !items.isEmpty else {
                return .unknown("split_dims axis or dims not resolved")
            }
            let t = spec.intValue != nil ? batchMajor(input) : input
            guard let axis = AxisSpec.axis(spec, in: t) else { return .unknown("split_dims axis not resolved") }
            let old = t.dims[axis]
            if old.kind == .batch { return .unknown("splitting the batch axis") }
            var sizes: [Int] = []
            var declared: [Dim?] = []
            for item in items {
                if let d = markerDim(item) {
                    declared.append(d)
                    sizes.append(d.size ?? -1)
                } else if let size = item.intValue, size != 0, size >= -1 {
                    declared.append(nil)
                    sizes.append(size)
                } else {
                    return .unknown("split_dims dims entry not understood")
                }
            }
            if r.option("pad_to_multiples").map({ !$0.isNull }) == true { return .unknown("split_dims with pad_to_multiples") }
            let remIndices = sizes.indices.filter { sizes[$0] < 0 }
            guard remIndices.count <= 1 else { return .failed("split_dims: only one entry of dims can be -1") }
            if declared.contains(where: { $0 != nil }) && declared.contains(where: { $0 == nil }) {
                return .unknown("split_dims with mixed dims")
            }
            guard let known = CheckedInt.product(sizes.filter { $0 > 0 }) else { return .unknown("split_dims dims too large") }
            var resolved: [Int?] = sizes.map { $0 > 0 ? $0 : nil }
            if let size = old.size {
                if let rem = remIndices.first {
                    guard known > 0, size % known == 0 else { return .failed("split_dims: \(size) is not a multiple of \(known)") }
                    resolved[rem] = size / known
                } else if known != size {
                    return .failed("split_dims: dims do not multiply to \(size)")
                }
            } else if remIndices.isEmpty {
                return .unknown("split_dims of a dynamic axis into static dims")
            }
            var newDims: [Dim] = []
            for (i, size) in resolved.enumerated() {
                if let d = declared[i] {
                    newDims.append(d)
                } else if remIndices.first == i {
                    newDims.append(
                        known == 1
                            ? old
                            : Dim(kind: old.kind, name: "\(r.name)_split_dims\(i)_rem", size: size, derivedFrom: old.name))
                } else {
                    newDims.append(Dim(kind: old.kind, name: "\(r.name)_split_dims\(i)", size: size))
                }
            }
            var out = t
            out.dims = Array(t.dims[..<axis]) + newDims + Array(t.dims[(axis + 1)...])
            out.explicitFeatureAxis = nil
            out.noFeatureAxis = false
            out.explicitTimeAxis = nil
            out.noTimeAxis = false
            // The time axis (`_map_old_axis_to_new_axis`, `use_remaining=True`).
            if let time = t.timeAxis {
                var newTime = time
                if time > axis {
                    newTime = time + newDims.count - 1
                } else if time == axis {
                    if let rem = remIndices.first {
                        newTime = axis + rem
                    } else if newDims.filter({ $0 == old }).count == 1, let i = newDims.firstIndex(of: old) {
                        newTime = axis + i
                    } else if newDims.filter({ $0.kind == .spatial }).count == 1, let i = newDims.firstIndex(where: { $0.kind == .spatial }) {
                        newTime = axis + i
                    } else {
                        return .unknown("split_dims of the time axis: new time axis not determined")
                    }
                }
                out = withTimeAxis(out, newTime)
            } else {
                out = withTimeAxis(out, nil)
            }
            // The feature axis (RETURNN's `_map_old_axis_to_new_axis`, `use_remaining=False`, offset -1).
            if let feature = t.featureAxis {
                var newFeature = feature
                if feature > axis {
                    newFeature = feature + newDims.count - 1
                } else if feature == axis {
                    let featureKind = newDims.indices.filter { newDims[$0].kind == .feature }
                    newFeature = axis + (featureKind.last ?? (newDims.count - 1))
                }
                if out.featureAxis != newFeature { out.explicitFeatureAxis = newFeature }
            }
            return .known(out)
        }
    }

    /// `range_in_axis`: `[axis]` int32 (the values 0..<n along that axis).
    static func rangeInAxis(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            guard let spec = r.option("axis"), let axis = AxisSpec.axis(spec, in: t) else { return .unknown("range_in_axis axis not resolved") }
            return .known(TensorTemplate(dims: [t.dims[axis]], dtype: r.string("dtype") ?? "int32"))
        }
    }

    /// `gather` (`GatherLayer`): `axis` replaced by the position's dims; dims the input and the position share
    /// are batch-like and come first.
    static func gather(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            guard let spec = r.option("axis"), spec.intValue == nil, let axis = AxisSpec.axis(spec, in: t) else {
                return .unknown("gather axis not resolved")
            }
            let position: TensorTemplate
            if let input = r.optionInput("position") {
                guard case .known(let p) = input else { return input.isPending ? input : .unknown("gather position not known") }
                position = p
            } else if r.int("position") != nil {
                position = TensorTemplate(dims: [], dtype: "int32")
            } else {
                return .unknown("gather position not understood")
            }
            guard position.dtype == "int32" || position.dtype == "int64" else { return .failed("gather position must be int32/int64") }
            return gathered(t, axis: axis, position: position)
        }
    }

    /// RETURNN's `GatherLayer.get_out_data_from_opts` on templates: (shared dims, input dims before the gather
    /// axis, position dims, input dims after it). Shared dims are matched by identity (the batch dim always).
    static func gathered(_ input: TensorTemplate, axis gatherAxis: Int, position: TensorTemplate) -> TemplateResult {
        let gatherDim = input.dims[gatherAxis]
        // Static dims of equal size also match in RETURNN (`allow_same_spatial_dim`); we do not model that.
        for (i, dim) in input.dims.enumerated() where i != gatherAxis && !dim.isDynamic && dim.kind != .batch {
            if position.dims.contains(where: { $0 != dim && $0.size == dim.size && $0.kind != .batch }) {
                return .unknown("gather with same-sized static dims in input and position")
            }
        }
        let commonInput = input.dims.indices.filter { $0 != gatherAxis && position.contains(input.dims[$0]) }
        let specificInput = input.dims.indices.filter { $0 != gatherAxis && !position.contains(input.dims[$0]) }
        let specificPosition = position.dims.indices.filter { !input.contains(position.dims[$0]) || position.dims[$0] == gatherDim }
        let batchDims = commonInput.count
        let gatherAt = max(batchDims, gatherAxis)
        let split = min(max(gatherAt - batchDims, 0), specificInput.count)
        var dims: [Dim] = commonInput.map { input.dims[$0] }
        dims += specificInput[..<split].map { input.dims[$0] }
        dims += specificPosition.map { position.dims[$0] }
        dims += specificInput[split...].map { input.dims[$0] }
        var out = TensorTemplate(dims: dims, dtype: input.dtype, sparseDim: input.sparseDim)
        // The feature axis: the input's when set and not gathered, else the default rule.
        if input.explicitFeatureAxis != nil || input.noFeatureAxis, let f = input.featureAxis, f != gatherAxis {
            let translated: Int
            if let i = commonInput.firstIndex(of: f) {
                translated = i
            } else if f < gatherAxis, let i = specificInput.firstIndex(of: f) {
                translated = batchDims + i
            } else if let i = specificInput.firstIndex(of: f) {
                translated = batchDims + specificPosition.count + i
            } else {
                return .known(out)
            }
            out = withFeatureAxis(out, translated)
        }
        return .known(out)
    }

    /// `dot` (`DotLayer`): remaining (shared) dims of the first input, then its var dims, then the second's
    /// var dims; before behavior version 3 the defaults are `red1=-1, red2=-2, var1=-2, var2=-1` and an empty
    /// `var2` adds a `<name>:dot:dummy-var2` dim of size 1.
    static func dot(_ r: ShapeRequest) -> TemplateResult {
        let inputs: [TensorTemplate]
        switch r.knownSources() {
        case .success(let known): inputs = known
        case .failure(let blocked): return blocked.result
        }
        guard inputs.count == 2 else { return .failed("dot needs exactly two inputs") }
        let a = inputs[0], b = inputs[1]
        let oldDefaults = behaviorVersion(r) < 3 && r.string("var1") != "auto" && r.string("var2") != "auto"
        func spec(_ key: String, _ fallback: Int) -> ConfigNode? {
            if let node = r.option(key) { return node }
            if (key == "red1" || key == "red2"), let reduce = r.option("reduce") { return reduce }
            return oldDefaults ? ConfigNode(.int(fallback), span: 0..<0, style: .json) : nil
        }
        guard let red1 = spec("red1", -1), let red2 = spec("red2", -2) else { return .failed("dot: reduce axes must be given") }
        guard oldDefaults || (r.option("var1") != nil && r.option("var2") != nil) else { return .unknown("dot with automatic var axes") }
        if !oldDefaults, [red1, red2].contains(where: { $0.intValue != nil }) { return .failed("dot: axes given as int") }
        if markerDim(red1) != nil || markerDim(red2) != nil { return .unknown("dot reduce axes given as dims") }
        guard let axesA = AxisSpec.axes(red1, in: a), let axesB = AxisSpec.axes(red2, in: b) else { return .unknown("dot reduce axes not resolved") }
        guard !axesA.isEmpty, !axesB.isEmpty else { return .failed("dot: reduce axes not found") }
        guard axesA.count == axesB.count else { return .failed("dot: reduce axes must match in count") }
        for (i, j) in zip(axesA, axesB) where a.dims[i].size != b.dims[j].size || (a.dims[i].isDynamic && a.dims[i] != b.dims[j]) {
            return .failed("dot: reduce axes do not match (\(a.dims[i].description) vs \(b.dims[j].description))")
        }
        func varAxes(_ key: String, _ fallback: Int, _ t: TensorTemplate) -> [Int]? {
            guard let node = spec(key, fallback) else { return [] }
            if node.isNull { return [] }
            return AxisSpec.axes(node, in: t)
        }
        guard let varA = varAxes("var1", -2, a), let varB = varAxes("var2", -1, b) else { return .unknown("dot var axes not resolved") }
        guard Set(varA).isDisjoint(with: axesA), Set(varB).isDisjoint(with: axesB) else { return .failed("dot: var and reduce axes overlap") }
        let restA = a.dims.indices.filter { !varA.contains($0) && !axesA.contains($0) }
        let restB = b.dims.indices.filter { !varB.contains($0) && !axesB.contains($0) }
        guard restA.count == restB.count else { return .failed("dot: the remaining axes of the inputs differ") }
        // The remaining axes are paired (`find_matching_dim_map`): the same dim first, else a dim of the same
        // static size (`allow_same_spatial_dim`, `treat_feature_as_spatial`).
        var unmatched = restB
        for i in restA {
            if let j = unmatched.firstIndex(where: { b.dims[$0] == a.dims[i] }) {
                unmatched.remove(at: j)
            } else if let j = unmatched.firstIndex(where: { CommonData.strictMatch(b.dims[$0], a.dims[i]) }) {
                unmatched.remove(at: j)
            } else {
                return .failed("dot: the remaining axes of the inputs do not match (\(a.dims[i].description))")
            }
        }
        var dims = restA.map { a.dims[$0] } + varA.map { a.dims[$0] } + varB.map { b.dims[$0] }
        if varB.isEmpty, oldDefaults { dims.append(Dim.spatial("\(r.name):dot:dummy-var2", 1)) }
        return .known(TensorTemplate(dims: dims, dtype: a.isSparse ? b.dtype : a.dtype))
    }

    /// `concat` (`ConcatLayer`): `from` is a list of `(layer, axis)`; the concatenated axis is the sum of the dims.
    static func concat(_ r: ShapeRequest) -> TemplateResult {
        guard let items = r.option("from")?.elements else { return .unknown("concat 'from' must be a list of (layer, axis)") }
        let sources = r.sources()
        guard sources.count == items.count else { return .unknown("concat 'from' not understood") }
        var dims: [(TensorTemplate, Int)] = []
        for (item, source) in zip(items, sources) {
            guard let pair = item.elements, pair.count == 2, case .known(let t) = source, let axis = AxisSpec.axis(pair[1], in: t) else {
                return source.isPending ? source : .unknown("concat input or axis not resolved")
            }
            dims.append((t, axis))
        }
        guard let (first, firstAxis) = dims.first else { return .unknown("concat without inputs") }
        let parts = dims.map { $0.0.dims[$0.1] }
        let size = parts.allSatisfy { $0.size != nil } ? parts.compactMap(\.size).reduce(0, +) : nil
        let newDim = Dim(kind: parts[0].kind, name: sumName(parts.map(\.name)), size: size)
        let others = dims.map { $0.0.replacing(axis: $0.1, with: newDim) }
        return CommonData.combined(others, broadcastMatches: broadcastMatches(r)).map { common in
            // Without allow_broadcast every input must have all the output's other axes (ConcatLayer, basic.py:494).
            if r.option("allow_broadcast")?.boolValue != true {
                for other in others {
                    let missing = CommonData.missingDims(of: other, in: common)
                    if !missing.isEmpty {
                        return .failed("concat input \(other) lacks the output's \(missing.map(\.description).joined(separator: ", ")) (set allow_broadcast)")
                    }
                }
            }
            return .known(first.replacing(axis: firstAxis, with: newDim))
        }
    }

    /// `swap_axes`: two axes exchanged; the time and feature axes follow their dims.
    static func swapAxes(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            guard let a1 = r.option("axis1").flatMap({ AxisSpec.axis($0, in: t) }), let a2 = r.option("axis2").flatMap({ AxisSpec.axis($0, in: t) }) else {
                return .unknown("swap_axes axes not resolved")
            }
            guard a1 != a2 else { return .failed("swap_axes of an axis with itself") }
            var out = t
            out.dims.swapAt(a1, a2)
            if t.explicitFeatureAxis != nil || t.noFeatureAxis {
                let f = t.featureAxis
                out.explicitFeatureAxis = f == a1 ? a2 : (f == a2 ? a1 : f)
                if f == nil { out.explicitFeatureAxis = nil }
            }
            // The time axis follows its dim (set explicitly by RETURNN).
            out = withTimeAxis(out, t.timeAxis.map { $0 == a1 ? a2 : ($0 == a2 ? a1 : $0) })
            return .known(out)
        }
    }

    /// `gather_nd` (`GatherNdLayer`, deprecated): `x[position]` on the first non-batch axis of the batch-major
    /// input; the output has the position's dims (batch added) followed by the remaining input dims.
    static func gatherNd(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { input in
            let x = batchMajor(input)
            guard x.batchAxis == 0, x.dims.count >= 2 else { return .failed("gather_nd input needs a batch axis and another axis") }
            guard let positionInput = r.optionInput("position") else { return .unknown("gather_nd position not understood") }
            guard case .known(var position) = positionInput else {
                return positionInput.isPending ? positionInput : .unknown("gather_nd position not known")
            }
            if position.batchAxis == nil {
                position = position.inserting(.batch, at: 0)
            } else {
                position = batchMajor(position)
            }
            var out = TensorTemplate(dims: position.dims + Array(x.dims[2...]), dtype: x.dtype, sparseDim: x.sparseDim)
            // The time axis: the position's, else the input's when it is kept.
            if let time = position.timeAxis {
                out = withTimeAxis(out, time)
            } else if let time = x.timeAxis, time >= 2 {
                out = withTimeAxis(out, position.dims.count + time - 2)
            } else {
                out = withTimeAxis(out, nil)
            }
            return .known(out)
        }
    }
}

extension ShapeRules {
    /// The range of the last occurrence of `needle` in `text` (Foundation's `range(of:options:.backwards)`).
    static func lastRange(of needle: String, in text: String) -> Range<String.Index>? {
        guard !needle.isEmpty else { return nil }
        var index = text.endIndex
        while index > text.startIndex {
            index = text.index(before: index)
            if text[index...].hasPrefix(needle) {
                return index..<text.index(index, offsetBy: needle.count)
            }
        }
        return nil
    }
}
