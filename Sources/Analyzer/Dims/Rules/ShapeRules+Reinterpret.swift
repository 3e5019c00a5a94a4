import NetConfig

/// `reinterpret_data` (`ReinterpretDataLayer.get_out_data_from_opts`): the input's data with relabelled axes,
/// dims or sparsity, applied in RETURNN's order.
extension ShapeRules {
    /// `reinterpret_data`: enforce_*_major, set_axes, size_base, set_dim_tags, set_sparse(_dim), increase_sparse_dim in RETURNN's order; switch_axes is not modelled.
    static func reinterpretData(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { input in
            var out = input
            func isSet(_ key: String) -> Bool {
                guard let value = r.option(key) else { return false }
                return !value.isNull && value.boolValue != false
            }
            if isSet("switch_axes") { return .unknown("reinterpret_data with 'switch_axes' is not modelled") }
            let batchMajorFlag = r.bool("enforce_batch_major") == true
            let timeMajorFlag = r.bool("enforce_time_major") == true
            if batchMajorFlag && timeMajorFlag { return .failed("reinterpret_data: enforce_batch_major and enforce_time_major") }
            if batchMajorFlag { out = batchMajor(out) }
            if timeMajorFlag {
                guard let time = out.timeAxis else { return .failed("reinterpret_data: enforce_time_major without time axis") }
                out = movingAxis(out, from: time, to: 0)
            }
            // set_axes: {"B"|"T"|"F": axis description or int (with enforce_*) or None}, applied in key order.
            if let setAxes = r.option("set_axes"), !setAxes.isNull {
                guard let entries = setAxes.entries else { return .unknown("set_axes not understood") }
                let sorted = entries.compactMap { e in e.key.stringValue.map { ($0, e.value) } }.sorted { $0.0 < $1.0 }
                guard sorted.count == entries.count else { return .unknown("set_axes not understood") }
                for (key, value) in sorted {
                    let kind = key.lowercased()
                    guard ["b", "t", "f", "batch_dim_axis", "time_dim_axis", "feature_dim_axis"].contains(kind) else {
                        return .failed("set_axes: invalid key '\(key)'")
                    }
                    var axis: Int?
                    if !value.isNull {
                        if value.intValue != nil, !batchMajorFlag, !timeMajorFlag {
                            return .failed("reinterpret_data: explicit set_axes with an int needs enforce_batch_major/time_major")
                        }
                        guard let found = AxisSpec.axis(value, in: out) else { return .unknown("set_axes axis not resolved") }
                        axis = found
                    }
                    switch kind.first {
                    case "b":
                        if axis != out.batchAxis { return .unknown("set_axes moves the batch axis") }
                    case "t":
                        let feature = out.featureAxis
                        out = withTimeAxis(out, axis)
                        if out.featureAxis != feature { out = withFeatureAxis(out, feature) }
                    default:
                        if let axis {
                            out.explicitFeatureAxis = axis
                            out.noFeatureAxis = false
                        } else {
                            out.explicitFeatureAxis = nil
                            out.noFeatureAxis = true
                        }
                    }
                }
            }
            // size_base: the dynamic dims are replaced by size_base's dynamic dims, in order.
            if let sizeBase = r.optionInput("size_base") {
                guard case .known(let base) = sizeBase else { return sizeBase.isPending ? sizeBase : .unknown("size_base not known") }
                let ours = out.dims.indices.filter { out.dims[$0].kind != .batch && out.dims[$0].isDynamic }
                let theirs = base.dims.filter { $0.kind != .batch && $0.isDynamic }
                if !ours.isEmpty {
                    guard ours.count == theirs.count else { return .failed("reinterpret_data: size_base has another number of dynamic axes") }
                    for (axis, dim) in zip(ours, theirs) { out = out.replacing(axis: axis, with: dim) }
                }
            } else if isSet("size_base") {
                return .unknown("size_base not understood")
            }
            // set_dim_tags: {axis: $dim}.
            if let setDimTags = r.option("set_dim_tags"), !setDimTags.isNull {
                guard let entries = setDimTags.entries else { return .unknown("set_dim_tags not understood") }
                for entry in entries {
                    guard let axis = AxisSpec.axis(entry.key, in: out), var dim = markerDim(entry.value) else {
                        return .unknown("set_dim_tags entry not understood")
                    }
                    let old = out.dims[axis]
                    if dim.size == nil, let size = old.size { dim.size = size }
                    if dim.size != old.size { return .failed("reinterpret_data: set_dim_tags with another size") }
                    if dim.kind == .batch || old.kind == .batch { return .unknown("set_dim_tags on the batch axis") }
                    if dim.isDynamic, dim.derivedFrom == nil, dim.name != old.name { dim.derivedFrom = old.name }
                    let wasFeature = out.featureAxis == axis && old.kind == .feature
                    out = out.replacing(axis: axis, with: dim)
                    if out.explicitFeatureAxis == axis, wasFeature, dim.kind != .feature {
                        out.explicitFeatureAxis = nil
                        out.noFeatureAxis = true
                    }
                }
            }
            // set_sparse / set_sparse_dim / increase_sparse_dim.
            let sparseDimNode = r.option("set_sparse_dim")
            if let setSparse = r.option("set_sparse"), !setSparse.isNull {
                guard let flag = setSparse.boolValue else { return .unknown("set_sparse not understood") }
                if flag {
                    if !out.isSparse {
                        let size: Int?
                        if let declared = markerDim(sparseDimNode) {
                            out.sparseDim = declared
                            size = nil
                        } else if let node = sparseDimNode, !node.isNull {
                            guard let n = node.intValue else { return .unknown("set_sparse_dim not understood") }
                            size = n
                        } else {
                            size = out.featureDim?.size
                        }
                        if out.sparseDim == nil {
                            out.sparseDim = Dim(kind: .feature, name: "\(r.name)_output:sparse-dim", size: size)
                        }
                        out.explicitFeatureAxis = nil
                        out.noFeatureAxis = false
                    }
                } else {
                    out.sparseDim = nil
                }
            }
            if let node = sparseDimNode {
                guard let current = out.sparseDim else { return .failed("reinterpret_data: set_sparse_dim on dense data") }
                if let declared = markerDim(node) {
                    out.sparseDim = declared
                } else if let n = node.intValue {
                    if current.size != n { out.sparseDim = Dim(kind: .feature, name: "\(r.name):set-sparse-dim", size: n) }
                } else {
                    return .unknown("set_sparse_dim not understood")
                }
            }
            if let node = r.option("increase_sparse_dim"), !node.isNull {
                guard let n = node.intValue else { return .unknown("increase_sparse_dim not understood") }
                if n != 0 {
                    guard let current = out.sparseDim else { return .failed("reinterpret_data: increase_sparse_dim on dense data") }
                    out.sparseDim = DimMath.add(current, .constant(n))
                }
            }
            return .known(out)
        }
    }
}
