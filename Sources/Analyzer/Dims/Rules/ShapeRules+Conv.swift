import NetConfig

/// `conv`, `pool` and `transposed_conv` (`ConvLayer`, `PoolLayer`, `TransposedConvLayer`).
extension ShapeRules {
    /// An option that is an int or a list of ints, one per spatial axis.
    private static func perAxis(_ node: ConfigNode?, count: Int, default value: [Int]) -> [Int]? {
        guard let node, !node.isNull else { return value }
        if let n = node.intValue { return Array(repeating: n, count: count) }
        guard let items = node.elements else { return nil }
        let ints = items.compactMap(\.intValue)
        return ints.count == items.count ? ints : nil
    }

    /// `ConvLayer.transform_input`: the input with the options that add axes applied, the number of leading
    /// batch-like axes, and the spatial dims the filter runs over. Nil result: not modelled.
    static func convInput(_ input: TensorTemplate, _ r: ShapeRequest) -> (TensorTemplate, Int, [Dim])? {
        var t = input
        if t.isSparse { return nil }
        if t.batchAxis == nil { t = t.inserting(.batch, at: 0) }
        if r.option("in_dim").map({ !$0.isNull }) == true { return nil }
        var spatial: [Dim]?
        if let given = r.option("in_spatial_dims"), !given.isNull {
            guard let items = given.elements else { return nil }
            var dims: [Dim] = []
            for item in items {
                guard let axis = AxisSpec.axis(item, in: t) else { return nil }
                dims.append(t.dims[axis])
            }
            spatial = dims
        }
        let expand = r.int("input_expand_dims") ?? 0
        let split = r.int("input_split_feature_dim")
        let addFeature = r.bool("input_add_feature_dim") ?? false
        if expand > 0 || split != nil || addFeature {
            if spatial == nil {
                if t.featureAxis == nil { return nil }
                let axes = spatialBatchAxes(t)
                guard axes.count == 1 else { return nil }
                spatial = axes.map { t.dims[$0] }
            }
        }
        if expand > 0 {
            for i in 0..<expand {
                let dim = Dim(kind: .spatial, name: "input_expand_dims:\(i)", size: 1)
                t = addDimDefault(t, dim)
                spatial?.append(dim)
            }
        }
        if let split {
            guard let f = t.featureAxis, let size = t.dims[f].size, split > 0, size % split == 0 else { return nil }
            let rem = Dim(kind: .spatial, name: "feature_split_rem_\(size / split)", size: size / split)
            let new = Dim(kind: t.dims[f].kind, name: "feature_split_new_\(split)", size: split)
            let explicit = t.explicitFeatureAxis != nil
            t.dims.replaceSubrange(f...f, with: [rem, new])
            t.explicitFeatureAxis = explicit ? f + 1 : nil
            if t.featureAxis != f + 1 { t.explicitFeatureAxis = f + 1 }
            spatial?.append(rem)
        }
        if addFeature {
            guard let f = t.featureAxis else { return nil }
            spatial?.append(t.dims[f])
            let newFeature = Dim(kind: .feature, name: "feature1", size: 1)
            t = t.inserting(newFeature, at: f + 1)
            t = withFeatureAxis(t, f + 1)
        }
        if let spatial {
            // Move the spatial dims into the given order, everything else (besides the feature) in front.
            let axes = spatial.compactMap { t.dims.firstIndex(of: $0) }
            guard axes.count == spatial.count, Set(axes).count == axes.count else { return nil }
            let feature = t.featureAxis
            if let feature, axes.contains(feature) { return nil }
            let expected = Set(spatial + [Dim.batch] + (feature.map { [t.dims[$0]] } ?? []))
            let batchLike = t.dims.filter { !expected.contains($0) }
            guard !t.dims.contains(where: { $0.kind == .batch && batchLike.contains($0) }) else { return nil }
            let featureDims = feature.map { [t.dims[$0]] } ?? []
            var ordered = [Dim.batch] + batchLike
            let numBatch = ordered.count
            // Keep the input's relative order for the non-batch part, with the spatial dims in the given order.
            let rest = t.dims.filter { $0.kind != .batch && !batchLike.contains($0) }
            var spatialQueue = spatial
            for dim in rest {
                if spatial.contains(dim) {
                    ordered.append(spatialQueue.removeFirst())
                } else {
                    ordered.append(dim)
                }
            }
            var out = t
            out.dims = ordered
            out = withFeatureAxis(out, featureDims.first.flatMap { ordered.firstIndex(of: $0) })
            return (out, numBatch, spatial)
        }
        // No in_spatial_dims: batch (and the loop's time dim when moved out of a loop) in front.
        var numBatch = 1
        if let b = t.batchAxis, b != 0 { t = movingAxis(t, from: b, to: 0) }
        if let rec = r.engine.recUnitOwner(r.node.id), !r.loops.contains(rec), r.engine.actualLoops(rec) == r.loops,
            let time = r.engine.loopDim(rec), let axis = t.dims.firstIndex(of: time)
        {
            t = movingAxis(t, from: axis, to: 1)
            numBatch = 2
        }
        let feature = t.featureAxis
        let dims = t.dims.enumerated().filter { $0.offset >= numBatch && $0.offset != feature }.map(\.element)
        return (t, numBatch, dims)
    }

    /// RETURNN's `get_spatial_batch_axes`.
    static func spatialBatchAxes(_ t: TensorTemplate) -> [Int] { AxisSpec.spatialAxes(t) }

    /// `copy_add_dim_by_tag` at RETURNN's default position (`get_default_new_axis_for_dim_tag`) for a static
    /// spatial dim: after the last spatial axis, else before the feature axis, else at the end.
    static func addDimDefault(_ t: TensorTemplate, _ dim: Dim) -> TensorTemplate {
        let spatial = spatialBatchAxes(t)
        let axis: Int
        if let last = spatial.last {
            axis = last + 1
        } else if let f = t.featureAxis {
            axis = f
        } else {
            axis = t.dims.count
        }
        return t.inserting(dim, at: axis)
    }

    /// `conv` and `pool`: each spatial axis transformed by filter, stride, dilation and padding; `conv` adds
    /// the `<name>:channel` feature dim (`out_dim`), `pool` keeps the input's.
    static func convolution(_ r: ShapeRequest) -> TemplateResult {
        let isPool = r.layer.className == "pool"
        return concatSources(r).map { input in
            guard let filterNode = isPool ? r.option("pool_size") : r.option("filter_size"), let items = filterNode.elements else {
                return .unknown("filter/pool size not understood")
            }
            let filter = items.compactMap(\.intValue)
            guard filter.count == items.count, !filter.isEmpty else { return .unknown("filter/pool size not understood") }
            guard let strides = perAxis(r.option("strides"), count: filter.count, default: isPool ? filter : Array(repeating: 1, count: filter.count)),
                let dilation = perAxis(r.option("dilation_rate"), count: filter.count, default: Array(repeating: 1, count: filter.count)),
                strides.count == filter.count, dilation.count == filter.count
            else { return .unknown("strides/dilation_rate not understood") }
            let paddingNode = r.option("padding")
            guard let padding = (paddingNode?.stringValue ?? (isPool ? "valid" : nil))?.lowercased() else {
                return paddingNode == nil ? .failed("conv without padding") : .unknown("conv padding not understood")
            }
            var channel: Dim?
            if !isPool {
                guard let n = r.outSize else { return .unknown("conv without n_out") }
                channel = r.declaredOutDim ?? Dim.feature("\(r.name):channel", n)
            }
            if let groups = r.int("groups"), groups > 1, let size = input.featureDim?.size, size % groups != 0 {
                return .failed("conv groups must divide the input feature dim")
            }
            return convolved(input, r, filter: filter, strides: strides, dilation: dilation, padding: padding, channel: channel)
        }
    }

    /// `stft` (`StftLayer`): a valid conv over the time axis with filter `frame_size`, stride `frame_shift` and
    /// `fft_size//2+1` channels, complex64.
    static func stft(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { input in
            guard let size = r.int("frame_size"), let shift = r.int("frame_shift") else { return .unknown("stft frame_size/frame_shift not understood") }
            for key in ["in_spatial_dims", "out_spatial_dims", "out_dim", "n_out", "out_type"] where r.option(key) != nil {
                return .unknown("stft with '\(key)'")
            }
            let fft = r.int("fft_size") ?? size
            let channel = Dim.feature("\(r.name):channel", fft / 2 + 1)
            return convolved(input, r, filter: [size], strides: [shift], dilation: [1], padding: "valid", channel: channel).map { t in
                var out = t
                out.dtype = "complex64"
                return .known(out)
            }
        }
    }

    /// `ConvLayer.get_out_data_from_opts` after the options are read: `[B…, spatial…, channel]` (`channel` nil:
    /// pooling keeps the input's feature dim).
    static func convolved(
        _ input: TensorTemplate, _ r: ShapeRequest, filter: [Int], strides: [Int], dilation: [Int], padding: String, channel: Dim?
    ) -> TemplateResult {
        if r.option("out_spatial_dims").map({ !$0.isNull }) == true { return .unknown("conv/pool with out_spatial_dims") }
        guard let (t, numBatch, spatial) = convInput(input, r) else { return .unknown("conv/pool input options not modelled") }
        guard spatial.count == filter.count else {
            return .failed("conv/pool over \(spatial.count) spatial axes with a \(filter.count)-d filter")
        }
        var out = t
        // Feature last (`copy_with_feature_dim_axis(-1)`), or a new feature dim of size 1.
        if let f = out.featureAxis {
            out = movingAxis(out, from: f, to: out.dims.count - 1)
        } else {
            out = withFeatureAxis(out.inserting(Dim(kind: .feature, name: "feature1", size: 1), at: out.dims.count), out.dims.count)
        }
        let inputFeature = out.dims[out.dims.count - 1]
        var dims = Array(out.dims[..<numBatch])
        let oldSpatial = Array(out.dims[numBatch..<(out.dims.count - 1)])
        for (i, old) in oldSpatial.enumerated() {
            guard i < filter.count else { return .unknown("conv/pool spatial axes not resolved") }
            if (filter[i] == 1 && strides[i] == 1 && (padding == "same" || padding == "valid")) || (strides[i] == 1 && padding == "same") {
                dims.append(old)
                continue
            }
            guard let new = convOutDim(old, filter: filter[i], stride: strides[i], dilation: dilation[i], padding: padding) else {
                return .unknown("conv/pool padding '\(padding)' not modelled")
            }
            dims.append(new.kind == .batch ? new : Dim(kind: .spatial, name: new.name, size: new.size, autoGenerated: true, derivedFrom: new.derivedFrom ?? old.name))
        }
        // TF's dilated (atrous) conv loses the static shape of all spatial axes (SpaceToBatchND), so RETURNN's
        // check of the raw tensor against a template with a static spatial dim fails (verified for conv).
        if dilation.contains(where: { $0 > 1 }), dims[numBatch...].contains(where: { !$0.isDynamic }) {
            if channel == nil { return .unknown("dilated pooling with static spatial dims") }
            return .failed("dilated conv with a static spatial axis: TF loses its static shape and RETURNN's shape check fails")
        }
        dims.append(channel ?? inputFeature)
        var result = TensorTemplate(dims: dims, dtype: t.dtype)
        result = withFeatureAxis(result, dims.count - 1)
        // The time axis index is kept from the input (`time_dim_axis=data.time_dim_axis`).
        let feature = result.featureAxis
        result = withTimeAxis(result, t.timeAxis)
        if result.featureAxis != feature { result = withFeatureAxis(result, feature) }
        return .known(result)
    }

    /// `transposed_conv`: each spatial axis `d*stride` (`same`), `d*stride + max(filter-stride, 0)` (`valid`),
    /// `remove_padding` subtracted on both sides; strides default to the filter size.
    static func transposedConv(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { input in
            guard let items = r.option("filter_size")?.elements else { return .unknown("filter size not understood") }
            let filter = items.compactMap(\.intValue)
            guard filter.count == items.count, !filter.isEmpty else { return .unknown("filter size not understood") }
            for key in ["out_spatial_dims", "in_spatial_dims", "in_dim", "output_padding"] where r.option(key).map({ !$0.isNull }) == true {
                return .unknown("transposed_conv with '\(key)'")
            }
            guard let strides = perAxis(r.option("strides"), count: filter.count, default: filter),
                let removePadding = perAxis(r.option("remove_padding"), count: filter.count, default: Array(repeating: 0, count: filter.count)),
                strides.count == filter.count, removePadding.count == filter.count
            else { return .unknown("strides/remove_padding not understood") }
            let padding = (r.string("padding") ?? "same").lowercased()
            guard padding == "same" || padding == "valid" else { return .unknown("transposed_conv padding '\(padding)' not modelled") }
            var t = input
            if t.isSparse { return .unknown("transposed_conv on sparse data") }
            if t.batchAxis == nil { t = t.inserting(.batch, at: 0) }
            t = batchMajor(t)
            var numBatch = 1
            if let rec = r.engine.recUnitOwner(r.node.id), !r.loops.contains(rec), r.engine.actualLoops(rec) == r.loops,
                let time = r.engine.loopDim(rec), let axis = t.dims.firstIndex(of: time)
            {
                t = movingAxis(t, from: axis, to: 1)
                numBatch = 2
            }
            if let f = t.featureAxis {
                t = movingAxis(t, from: f, to: t.dims.count - 1)
            } else {
                t = t.inserting(Dim(kind: .feature, name: "feature1", size: 1), at: t.dims.count)
            }
            let oldSpatial = Array(t.dims[numBatch..<(t.dims.count - 1)])
            guard oldSpatial.count == filter.count else {
                return oldSpatial.count < filter.count ? .failed("transposed_conv: missing spatial dim") : .unknown("transposed_conv spatial axes not resolved")
            }
            var dims = Array(t.dims[..<numBatch])
            for (i, old) in oldSpatial.enumerated() {
                var new = DimMath.mulConstant(old, strides[i])
                if padding == "valid" { new = DimMath.add(new, .constant(max(CheckedInt.sub(filter[i], strides[i]) ?? Int.max, 0))) }
                new = DimMath.subRight(DimMath.subLeft(new, removePadding[i]), removePadding[i])
                dims.append(new)
            }
            guard let n = r.outSize else { return .unknown("transposed_conv without n_out") }
            dims.append(r.declaredOutDim ?? Dim.feature("\(r.name):channel", n))
            return .known(TensorTemplate(dims: dims, dtype: t.dtype))
        }
    }
}
