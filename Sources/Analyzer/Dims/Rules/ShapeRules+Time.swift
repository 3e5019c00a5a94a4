import NetConfig

/// Rules for layers that change the length of an axis: `slice`, `slice_nd`, `window`, `pad`,
/// `prefix_in_time`, `postfix_in_time`, `shift_axis`. New lengths are RETURNN's dim math (`DimMath`).
extension ShapeRules {
    /// `slice` (`SliceLayer`): `slice_start` → `(-start)+d`, `slice_end ≥ 0` → a new static `<name>:slice-end`
    /// dim of size `end - start`, `slice_end < 0` → `d+end`, `slice_step` → `⌈d/|step|⌉`.
    static func slice(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            if let problem = missingTimeAxis(r.option("axis"), in: t, layer: "slice") { return .failed(problem) }
            guard let spec = r.option("axis"), let axis = AxisSpec.axis(spec, in: t) else { return .unknown("slice axis not resolved") }
            if r.option("out_dim").map({ !$0.isNull }) == true { return .unknown("slice with out_dim") }
            for key in ["slice_start", "slice_end", "slice_step"] {
                if let node = r.option(key), !node.isNull, node.intValue == nil { return .unknown("slice bounds not understood") }
            }
            let start = r.int("slice_start")
            let end = r.int("slice_end")
            let step = r.int("slice_step")
            let old = t.dims[axis]
            if old.kind == .batch { return .unknown("slicing the batch axis") }
            var dim = old
            if let start, start != 0 {
                guard start > 0 else { return .failed("slice_start must not be negative") }
                dim = DimMath.subLeft(dim, start)
            }
            if let end {
                if end >= 0 {
                    dim = Dim(kind: old.kind, name: "\(r.name):slice-end", size: end - (start ?? 0))
                } else {
                    dim = DimMath.subRight(dim, -end)
                }
            }
            if let step, step != 1, step != 0 {
                dim = DimMath.ceildivRight(dim, abs(step))
            }
            return .known(t.replacing(axis: axis, with: dim))
        }
    }

    /// `slice_nd` (`SliceNdLayer`): a slice of `size` frames starting at `start` (int or layer), built as a
    /// gather with positions `[start dims…, size dim]`.
    static func sliceNd(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            let spec = r.option("axis") ?? ConfigNode(.string("T"), span: 0..<0, style: .json)
            guard let axis = AxisSpec.axis(spec, in: t) else { return .unknown("slice_nd axis not resolved") }
            if r.option("out_spatial_dim").map({ !$0.isNull }) == true { return .unknown("slice_nd with out_spatial_dim") }
            var start = TensorTemplate(dims: [], dtype: "int32")
            if let input = r.optionInput("start") {
                guard case .known(let s) = input else { return input.isPending ? input : .unknown("slice_nd start not known") }
                start = s
            } else if let node = r.option("start"), !node.isNull, node.intValue == nil {
                return .unknown("slice_nd start not understood")
            }
            let sizeDim: Dim
            if let declared = markerDim(r.option("size")) {
                sizeDim = declared
            } else if r.optionInput("size") != nil {
                return .unknown("slice_nd with a size layer")
            } else if let node = r.option("size"), !node.isNull {
                guard let size = node.intValue else { return .unknown("slice_nd size not understood") }
                sizeDim = Dim(kind: .spatial, name: "sliced-time:\(r.name)", size: size, derivedFrom: t.dims[axis].name)
            } else if r.option("size") == nil {
                return .failed("slice_nd needs 'size'")  // KeyError in transform_config_dict
            } else {
                sizeDim = Dim(kind: .spatial, name: "sliced-time:\(r.name)", size: nil, derivedFrom: t.dims[axis].name)
            }
            let positions = start.inserting(sizeDim, at: start.dims.count)
            return gathered(t, axis: axis, position: positions)
        }
    }

    /// `window` (`WindowLayer`): a new `<name>:window` axis after the windowed axis (inside a loop over the
    /// loop's time: after the batch axis); `padding: valid` and `stride` change the windowed axis like a conv.
    static func window(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { input in
            let size: Int
            if let n = r.int("window_size") {
                size = n
            } else if let declared = markerDim(r.option("window_dim")), let n = declared.size {
                size = n
            } else {
                return .failed("window without window_size")  // WindowLayer asserts window_size or window_dim
            }
            if r.option("window_dim") != nil || r.option("out_spatial_dim") != nil { return .unknown("window with window_dim/out_spatial_dim") }
            if behaviorVersion(r) >= 18 { return .unknown("window dim order of behavior version 18") }
            var t = batchMajor(input)
            let windowDim = Dim.spatial("\(r.name):window", size)
            let axisSpec = r.option("axis") ?? ConfigNode(.string("T"), span: 0..<0, style: .json)
            // Inside a loop, axis "T" of an input without time axis means the loop's time (recurrent window).
            if r.inLoop, axisSpec.stringValue?.lowercased() == "t", t.timeAxis == nil {
                // The recurrent variant; WindowLayer.__init__ asserts these when the layer is built in the loop
                // (not for the per-frame template of a layer moved out).
                let built = r.engine.actualLoops(r.node.id) == r.loops
                if !built { return .known(t.inserting(windowDim, at: 1)) }
                if (r.string("padding") ?? "same").lowercased() != "same" || (r.int("stride") ?? 1) != 1 {
                    return .failed("recurrent window: invalid padding or stride")
                }
                let left = r.int("window_left"), right = r.int("window_right")
                if left == nil && right == nil { return .failed("recurrent window should specify window_right=0 or window_left=window_size-1") }
                if let left, CheckedInt.add(left, 1) != size { return .failed("recurrent window can only look into the past") }
                if let right, right != 0 { return .failed("recurrent window can only look into the past") }
                return .known(t.inserting(windowDim, at: 1))
            }
            guard let axis = AxisSpec.axis(axisSpec, in: t) else { return .unknown("window axis not resolved") }
            let padding = (r.string("padding") ?? "same").lowercased()
            let stride = r.int("stride") ?? 1
            guard let newDim = convOutDim(t.dims[axis], filter: size, stride: stride, dilation: 1, padding: padding) else {
                return .unknown("window padding '\(padding)' not modelled")
            }
            t = t.replacing(axis: axis, with: newDim)
            return .known(t.inserting(windowDim, at: axis + 1))
        }
    }

    /// `pad` (`PadLayer`): each axis becomes `left + d + right` (dim math, so `(1+time)+1`).
    static func pad(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            guard let spec = r.option("axes"), let padding = r.option("padding") else { return .unknown("pad axes or padding not resolved") }
            if r.option("out_dims").map({ !$0.isNull }) == true { return .unknown("pad with out_dims") }
            var axes: [Int] = []
            for item in spec.elements ?? [spec] {
                guard let axis = AxisSpec.axis(item, in: t) else { return .unknown("pad axes not resolved") }
                axes.append(axis)
            }
            var pairs: [(Int, Int)] = []
            if let n = padding.intValue {
                pairs = Array(repeating: (n, n), count: axes.count)
            } else if let items = padding.elements, let first = items.first {
                if first.elements != nil {
                    for item in items {
                        guard let pair = item.elements, pair.count == 2, let a = pair[0].intValue, let b = pair[1].intValue else {
                            return .unknown("padding not understood")
                        }
                        pairs.append((a, b))
                    }
                    guard pairs.count == axes.count else { return .failed("pad: padding does not match axes") }
                } else {
                    guard items.count == 2, let a = items[0].intValue, let b = items[1].intValue else { return .unknown("padding not understood") }
                    pairs = Array(repeating: (a, b), count: axes.count)
                }
            } else {
                return .unknown("padding not understood")
            }
            var out = t
            for (axis, (left, right)) in zip(axes, pairs) {
                let old = t.dims[axis]
                if old.kind == .batch { return .unknown("padding the batch axis") }
                out = out.replacing(axis: axis, with: DimMath.add(DimMath.radd(.constant(left), old), .constant(right)))
            }
            return .known(out)
        }
    }

    /// `prefix_in_time` (`PrefixInTimeLayer`): the axis becomes `repeat + d` (or `size_base`'s time dim).
    static func prefixInTime(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            let spec = r.option("axis") ?? ConfigNode(.string("T"), span: 0..<0, style: .json)
            if let problem = missingTimeAxis(spec, in: t, layer: "prefix_in_time") { return .failed(problem) }
            guard let axis = AxisSpec.axis(spec, in: t) else { return .unknown("prefix_in_time axis not resolved") }
            if r.option("out_dim").map({ !$0.isNull }) == true { return .unknown("prefix_in_time with out_dim") }
            if let prefix = r.option("prefix"), prefix.numberValue == nil { return .unknown("prefix_in_time with a layer prefix") }
            if let sizeBase = r.optionInput("size_base") {
                guard case .known(let base) = sizeBase else { return sizeBase.isPending ? sizeBase : .unknown("size_base not known") }
                guard let time = base.timeDim else { return .unknown("size_base without time axis") }
                return .known(t.replacing(axis: axis, with: time))
            }
            if r.optionInput("repeat") != nil { return .unknown("prefix_in_time with a layer repeat") }
            if let node = r.option("repeat"), node.intValue == nil { return .unknown("prefix_in_time repeat not understood") }
            return .known(t.replacing(axis: axis, with: DimMath.radd(.constant(r.int("repeat") ?? 1), t.dims[axis])))
        }
    }

    /// `postfix_in_time` (`PostfixInTimeLayer`): the axis becomes `d + repeat`.
    static func postfixInTime(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            let spec = r.option("axis") ?? ConfigNode(.string("T"), span: 0..<0, style: .json)
            guard let axis = AxisSpec.axis(spec, in: t) else { return .unknown("postfix_in_time axis not resolved") }
            if r.option("out_dim").map({ !$0.isNull }) == true { return .unknown("postfix_in_time with out_dim") }
            if let node = r.option("repeat"), node.intValue == nil { return .unknown("postfix_in_time repeat not understood") }
            if let postfix = r.optionInput("postfix") {
                guard case .known(let p) = postfix else { return postfix.isPending ? postfix : .unknown("postfix layer not known") }
                if p.contains(t.dims[axis]) { return .failed("postfix layer with time axis not implemented in RETURNN") }
            }
            return .known(t.replacing(axis: axis, with: DimMath.add(t.dims[axis], .constant(r.int("repeat") ?? 1))))
        }
    }

    /// `shift_axis` (`ShiftAxisLayer`): with `adjust_size_info` (default) the axis becomes a new
    /// `<name>_shift_axis` dim (size reduced by `|amount|` when static).
    static func shiftAxis(_ r: ShapeRequest) -> TemplateResult {
        concatSources(r).map { t in
            guard let spec = r.option("axis"), let axis = AxisSpec.axis(spec, in: t), let amount = r.int("amount") else {
                return .unknown("shift_axis axis or amount not resolved")
            }
            if amount == 0 { return .failed("shift_axis: amount == 0 equals no operation") }
            let pad = r.bool("pad") ?? true
            if r.bool("adjust_size_info") == false, pad { return .known(t) }
            let old = t.dims[axis]
            // The padded raw tensor keeps the old static size, which then mismatches the template.
            if pad, old.size != nil { return .failed("shift_axis with adjust_size_info on a static axis: mismatching shape") }
            let dim = Dim(kind: old.kind == .batch ? .spatial : old.kind, name: "\(r.name)_shift_axis", size: old.size.flatMap { size in CheckedInt.sub(size, CheckedInt.magnitude(amount)).map { max(0, $0) } }, derivedFrom: old.name)
            return .known(t.replacing(axis: axis, with: dim))
        }
    }

    /// `ConvLayer.calc_out_dim` for one axis: `same` → `⌈d/stride⌉`; `valid` → `⌈((-left)+d)-right)/stride⌉`
    /// with the dilated filter split into left and right parts; nil for another padding.
    static func convOutDim(_ dim: Dim, filter: Int, stride: Int, dilation: Int, padding: String) -> Dim? {
        switch padding {
        case "same", "same_static":
            return DimMath.ceildivRight(dim, stride)
        case "valid":
            guard let filterMinusOne = CheckedInt.sub(filter, 1), let dilated = CheckedInt.mul(filterMinusOne, dilation),
                let right = CheckedInt.sub(dilated, dilated / 2)
            else { return nil }
            let left = dilated / 2
            return DimMath.ceildivRight(DimMath.subRight(DimMath.subLeft(dim, left), right), stride)
        default:
            return nil
        }
    }
}
