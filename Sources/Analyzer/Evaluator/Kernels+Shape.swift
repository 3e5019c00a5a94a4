#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NetConfig

extension Kernels {
    /// The dims of `template` that `x` does not have (new dims a layer made), in template order.
    static func newDims(_ template: TensorTemplate, comparedTo x: Tensor) -> [Dim] {
        template.dims.filter { !x.has($0) }
    }

    /// An axis option resolved on a tensor (`"T"`, `"F"`, `"dim:3"`, `$dim`, …), with a default.
    static func axis(_ c: KernelContext, _ key: String, in x: Tensor, default spec: String? = nil) throws(EvaluationError) -> Int {
        var node = c.option(key)
        if node == nil, let spec { node = ConfigNode(.string(spec), span: 0..<0, style: .json) }
        guard let node, let axis = AxisSpec.axis(node, in: x.template) else {
            throw c.unsupported("axis '\(key)' not resolved on \(x.template)")
        }
        return axis
    }

    /// A copy of `x` keeping only the lengths of the given axes' dims (for masking those axes only).
    static func restrictLengths(_ x: Tensor, to axes: [Int]) -> Tensor {
        var out = x
        let names = Set(axes.map { x.dims[$0].name })
        out.lengths = x.lengths.filter { names.contains($0.key) }
        return out
    }

    // MARK: - Reduce

    static func reduce(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        guard let spec = c.option("axis") ?? c.option("axes"), let axes = AxisSpec.axes(spec, in: x.template), !axes.isEmpty else {
            throw c.unsupported("reduce axes not resolved")
        }
        var mode = (c.string("mode") ?? "").lowercased()
        if mode == "avg" { mode = "mean" }
        let useMask = c.bool("use_time_mask") ?? axes.contains { x.dims[$0].isDynamic && x.dims[$0].kind != .batch }
        let kept = x.shape.indices.filter { !axes.contains($0) }
        let moved = x.permuted(kept + axes)
        let rows = kept.map { x.shape[$0] }.reduce(1, *)
        let inner = axes.map { x.shape[$0] }.reduce(1, *)
        let valid = useMask ? restrictLengths(moved, to: Array(kept.count..<moved.dims.count)).validMask() : [Bool](repeating: true, count: moved.count)
        let lowest: Double = x.isInteger ? Double(Int32.min) : -Double(Float.greatestFiniteMagnitude)
        let highest: Double = x.isInteger ? Double(Int32.max) : Double(Float.greatestFiniteMagnitude)
        var values = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            let base = r * inner
            func element(_ k: Int, replacement: Double) -> Double { valid[base + k] ? Double(moved.values[base + k]) : replacement }
            switch mode {
            case "sum", "mean":
                var sum = 0.0
                var count = 0
                for k in 0..<inner where valid[base + k] {
                    sum += Double(moved.values[base + k])
                    count += 1
                }
                values[r] = Float(mode == "sum" ? sum : sum / Double(useMask ? count : inner))
            case "max":
                var m = -Double.infinity
                for k in 0..<inner { m = max(m, element(k, replacement: lowest)) }
                values[r] = Float(m)
            case "min":
                var m = Double.infinity
                for k in 0..<inner { m = min(m, element(k, replacement: highest)) }
                values[r] = Float(m)
            case "logsumexp":
                var m = -Double.infinity
                for k in 0..<inner { m = max(m, element(k, replacement: lowest)) }
                var sum = 0.0
                for k in 0..<inner { sum += exp(element(k, replacement: lowest) - m) }
                values[r] = Float(m + log(sum))
            case "argmax", "argmin":
                guard axes.count == 1 else { throw c.unsupported("\(mode) over several axes") }
                var best = 0
                var bestValue = mode == "argmax" ? -Double.infinity : Double.infinity
                for k in 0..<inner {
                    let v = element(k, replacement: mode == "argmax" ? lowest : highest)
                    if mode == "argmax" ? v > bestValue : v < bestValue {
                        bestValue = v
                        best = k
                    }
                }
                values[r] = Float(best)
            case "any":
                var any = false
                for k in 0..<inner where element(k, replacement: 0) != 0 { any = true }
                values[r] = any ? 1 : 0
            case "all":
                var all = true
                for k in 0..<inner where element(k, replacement: 1) == 0 { all = false }
                values[r] = all ? 1 : 0
            default:
                throw c.unsupported("reduce mode '\(mode)' is not supported")
            }
        }
        var dims = kept.map { x.dims[$0] }
        var shape = kept.map { x.shape[$0] }
        if c.bool("keep_dims") == true {
            let added = newDims(c.template, comparedTo: x)
            dims += added
            shape += added.map { _ in 1 }
        }
        var out = Tensor(template: TensorTemplate(dims: dims, dtype: c.template.dtype), shape: shape, lengths: x.lengths, values: values)
        out.pruneLengths()
        return out
    }

    /// `reduce_out`: the feature axis split into groups of `num_pieces` consecutive entries, each reduced.
    static func reduceOut(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        guard let pieces = c.int("num_pieces"), pieces > 0, let f = x.template.featureAxis, x.shape[f] % pieces == 0,
            let outFeature = c.template.featureDim
        else { throw c.unsupported("reduce_out needs num_pieces dividing the feature dim") }
        let mode = c.string("mode") ?? "max"
        guard mode == "max" || mode == "sum" else { throw c.unsupported("reduce_out mode '\(mode)'") }
        let moved = x.permuted(x.shape.indices.filter { $0 != f } + [f])
        let width = moved.shape.last ?? 0
        let groups = width / pieces
        let rows = width == 0 ? 0 : moved.count / width
        var values = [Float](repeating: 0, count: rows * groups)
        for r in 0..<rows {
            for g in 0..<groups {
                var acc = mode == "max" ? -Double.infinity : 0
                for p in 0..<pieces {
                    let v = Double(moved.values[r * width + g * pieces + p])
                    acc = mode == "max" ? max(acc, v) : acc + v
                }
                values[r * groups + g] = Float(acc)
            }
        }
        var template = TensorTemplate(dims: Array(moved.dims.dropLast()) + [outFeature])
        template.explicitFeatureAxis = template.dims.count - 1
        return Tensor(template: template, shape: Array(moved.shape.dropLast()) + [groups], lengths: x.lengths, values: values)
    }

    // MARK: - Cumsum, length, masks

    static func cumsum(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        var x = try c.concatenatedSources()
        if let extra = c.number("additional_left_summand_per_element") {
            for i in x.values.indices { x.values[i] = Float(extra) + x.values[i] }
        }
        let spec = c.string("axis") ?? (c.option("axis") == nil ? "T" : nil)
        if c.inLoop, spec?.lowercased() == "t", x.template.timeAxis == nil {
            if c.bool("reverse") == true { throw .construction(layer: c.path, message: "AssertionError: reverse cumsum inside a loop") }
            let key = EvaluationRun.StateKey(layer: c.id, slot: "state")
            let previous = try c.run.readState(key, loops: c.loops) { () throws(EvaluationError) -> Tensor in
                try c.run.initialOutput(c.id, frame: c.template)
            }
            let aligned = try previous.broadcastValues(to: x.dims, shape: x.shape, layer: c.path)
            var next = x
            for i in next.values.indices { next.values[i] = aligned[i] + x.values[i] }
            try c.run.writeState(key, next, previous: previous, loops: c.loops)
            return next
        }
        let axis = try Kernels.axis(c, "axis", in: x, default: "T")
        let reverse = c.bool("reverse") == true
        let moved = x.permuted([axis] + x.shape.indices.filter { $0 != axis })
        let steps = moved.shape[0]
        let frame = steps == 0 ? 0 : moved.count / steps
        var values = moved.values
        var acc = [Double](repeating: 0, count: frame)
        for s in 0..<steps {
            let t = reverse ? steps - 1 - s : s
            for k in 0..<frame {
                acc[k] += Double(moved.values[t * frame + k])
                values[t * frame + k] = Float(acc[k])
            }
        }
        if let initial = c.option("initial_output"), !initial.isNull {
            guard let v = initial.numberValue ?? (initial.stringValue == "zeros" ? 0 : initial.stringValue == "ones" ? 1 : nil) else {
                throw c.unsupported("cumsum initial_output '\(initial.stringValue ?? "?")'")
            }
            for i in values.indices { values[i] += Float(v) }
        }
        var out = moved
        out.values = values
        return out
    }

    static func length(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        let axis = try Kernels.axis(c, "axis", in: x, default: "T")
        let dim = x.dims[axis]
        if dim.kind == .batch { return .scalar(Float(x.shape[axis]), dtype: c.template.dtype) }
        if let size = dim.size { return .scalar(Float(size), dtype: c.template.dtype) }
        guard let lengths = x.lengths[dim.name] ?? c.run.dimLengths[dim.name] else { throw c.unsupported("lengths of '\(dim.name)' unknown") }
        return Tensor(template: TensorTemplate(dims: [.batch], dtype: c.template.dtype), shape: [lengths.count], lengths: [:], values: lengths.map(Float.init))
    }

    static func reinterpretData(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        var x = try c.concatenatedSources()
        guard x.permutation(to: c.template.dims) != nil else { throw c.unsupported("reinterpret_data changes dims in a way not modelled") }
        x.template.sparseDim = c.template.sparseDim
        return x
    }

    static func seqLenMask(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        var x = try c.concatenatedSources()
        for key in ["seq_len_source", "start", "window_start", "window_size"] where c.option(key) != nil {
            throw c.unsupported("seq_len_mask with '\(key)'")
        }
        guard let value = c.number("mask_value") else { throw c.unsupported("seq_len_mask without a numeric mask_value") }
        let axis = try Kernels.axis(c, "axis", in: x, default: "T")
        let valid = restrictLengths(x, to: [axis]).validMask()
        for i in x.values.indices where !valid[i] { x.values[i] = Float(value) }
        return x
    }

    static func softmaxOverSpatial(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        for key in ["start", "window_start", "window_size"] where c.option(key) != nil {
            throw c.unsupported("softmax_over_spatial with '\(key)'")
        }
        let axis: Int
        if c.option("axis") != nil {
            axis = try Kernels.axis(c, "axis", in: x)
        } else {
            guard let t = x.template.timeAxis else { throw c.unsupported("softmax_over_spatial without a time axis") }
            axis = t
        }
        let factor = c.number("energy_factor") ?? 1
        let logSpace = c.bool("log_space") == true
        let useMask = c.bool("use_time_mask") ?? true
        let moved = x.permuted(x.shape.indices.filter { $0 != axis } + [axis])
        let valid = useMask ? restrictLengths(moved, to: [moved.dims.count - 1]).validMask() : [Bool](repeating: true, count: moved.count)
        var values = moved.values
        for i in values.indices { values[i] = valid[i] ? Float(Double(values[i]) * factor) : -Float.greatestFiniteMagnitude }
        softmaxRows(&values, width: moved.shape.last ?? 1, log: logSpace)
        var out = moved
        out.values = values
        return out
    }

    static func rangeInAxis(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        let axis = try Kernels.axis(c, "axis", in: x)
        let dim = x.dims[axis]
        let n = x.shape[axis]
        var lengths: [String: [Int]] = [:]
        if let l = x.lengths[dim.name] { lengths[dim.name] = l }
        return Tensor(template: TensorTemplate(dims: [dim], dtype: c.template.dtype), shape: [n], lengths: lengths, values: (0..<n).map(Float.init))
    }

    // MARK: - Slicing and reshaping

    static func slice(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        let axis = try Kernels.axis(c, "axis", in: x)
        let n = x.shape[axis]
        let step = c.int("slice_step") ?? 1
        guard step != 0 else { throw .construction(layer: c.path, message: "slice step 0") }
        let start = c.int("slice_start")
        let end = c.int("slice_end")
        var indices: [Int] = []
        if step > 0 {
            var lo = start ?? 0
            if lo < 0 { lo += n }
            lo = min(max(lo, 0), n)
            var hi = end ?? n
            if hi < 0 { hi += n }
            hi = min(max(hi, 0), n)
            var i = lo
            while i < hi { indices.append(i); i += step }
        } else {
            var lo = start ?? n - 1
            if lo < 0 { lo += n }
            lo = min(max(lo, -1), n - 1)
            var hi = end ?? -1 - n
            if hi < 0 { hi += n }
            hi = min(max(hi, -1), n - 1)
            var i = lo
            while i > hi { indices.append(i); i += step }
        }
        let old = x.dims[axis]
        let added = newDims(c.template, comparedTo: x)
        let newDim = added.first ?? old
        let moved = x.permuted([axis] + x.shape.indices.filter { $0 != axis })
        let frame = n == 0 ? 0 : moved.count / n
        var values = [Float](repeating: 0, count: indices.count * frame)
        for (j, i) in indices.enumerated() {
            for k in 0..<frame { values[j * frame + k] = moved.values[i * frame + k] }
        }
        var out = moved
        out.template.dims[0] = newDim
        out.shape[0] = indices.count
        out.values = values
        if newDim != old, newDim.isDynamic, let lengths = x.lengths[old.name] {
            let s = max(0, start ?? 0)
            var cut = 0
            if let end, end < 0 { cut = -end }
            let stepSize = abs(step)
            out.lengths[newDim.name] = lengths.map { (max(0, $0 - s - cut) + stepSize - 1) / stepSize }
        }
        out.pruneLengths()
        return out
    }

    static func splitDims(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        let axis = try Kernels.axis(c, "axis", in: x)
        // The split dims: the template's dims other than the input's unsplit ones (one may reuse the old dim).
        var others = x.dims
        others.remove(at: axis)
        var added: [Dim] = []
        for dim in c.template.dims {
            if let i = others.firstIndex(of: dim) { others.remove(at: i) } else { added.append(dim) }
        }
        let sizes = added.map { $0.size }
        guard !added.isEmpty, sizes.allSatisfy({ $0 != nil }), CheckedInt.product(sizes.compactMap({ $0 })) == x.shape[axis] else {
            throw c.unsupported("split_dims of '\(x.dims[axis].name)' into \(added.map(\.description)) is not supported")
        }
        var out = x
        out.template = TensorTemplate(dims: Array(x.dims[..<axis]) + added + Array(x.dims[(axis + 1)...]), dtype: x.dtype, sparseDim: x.template.sparseDim)
        out.shape = Array(x.shape[..<axis]) + sizes.compactMap { $0 } + Array(x.shape[(axis + 1)...])
        out.pruneLengths()
        return out
    }

    static func mergeDims(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        guard let spec = c.option("axes"), var axes = AxisSpec.axes(spec, in: x.template), !axes.isEmpty else {
            throw c.unsupported("merge_dims axes not resolved")
        }
        if c.bool("keep_order") == true { axes.sort() }
        let added = newDims(c.template, comparedTo: x)
        if added.isEmpty, axes.count == 1 { return x }
        guard added.count == 1, let merged = added.first else { throw c.unsupported("merge_dims result dims not understood") }
        let rest = x.shape.indices.filter { !axes.contains($0) }
        var out = x.permuted(rest + axes)
        let extents = axes.map { x.shape[$0] }
        out.template = TensorTemplate(dims: rest.map { x.dims[$0] } + [merged], dtype: x.dtype, sparseDim: x.template.sparseDim)
        out.shape = rest.map { x.shape[$0] } + [extents.reduce(1, *)]
        let dynamic = axes.filter { x.dims[$0].isDynamic }
        if !dynamic.isEmpty {
            guard dynamic == [axes[0]], let lengths = x.lengths[x.dims[axes[0]].name] else {
                throw c.unsupported("merging dynamic dims other than the outermost merged one")
            }
            let factor = extents.dropFirst().reduce(1, *)
            out.lengths[merged.name] = lengths.map { $0 * factor }
        }
        out.pruneLengths()
        return out
    }

    static func expandDims(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        let added = newDims(c.template, comparedTo: x)
        guard added.count == 1, let dim = added.first, let size = dim.size else { throw c.unsupported("expand_dims result not understood") }
        var out = x
        out.template = TensorTemplate(dims: x.dims + [dim], dtype: x.dtype, sparseDim: x.template.sparseDim)
        out.shape = x.shape + [size]
        if size != 1 {
            var values = [Float](repeating: 0, count: x.count * size)
            for i in 0..<x.count { for k in 0..<size { values[i * size + k] = x.values[i] } }
            out.values = values
        }
        return out
    }

    static func squeeze(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        var out = x
        let keep = x.shape.indices.filter { c.template.dims.contains(x.dims[$0]) || x.shape[$0] != 1 }
        out.template = TensorTemplate(dims: keep.map { x.dims[$0] }, dtype: x.dtype, sparseDim: x.template.sparseDim)
        out.shape = keep.map { x.shape[$0] }
        return out
    }

    static func concat(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        guard let items = c.option("from")?.elements else { throw c.unsupported("concat 'from' must be a list of (layer, axis)") }
        let inputs = try c.sources()
        guard inputs.count == items.count, !inputs.isEmpty else { throw c.unsupported("concat 'from' not understood") }
        let added = newDims(c.template, comparedTo: inputs[0])
        guard added.count == 1, let newDim = added.first, newDim.size != nil else {
            throw c.unsupported("concat along a dynamic or unknown axis")
        }
        var parts: [(values: [Float], width: Int)] = []
        var reference: [Dim] = []
        var shape: [Int] = []
        for (index, (item, input)) in zip(items, inputs).enumerated() {
            guard let pair = item.elements, pair.count == 2, let axis = AxisSpec.axis(pair[1], in: input.template) else {
                throw c.unsupported("concat axis not resolved")
            }
            if index == 0 {
                reference = input.dims
                reference[axis] = newDim
                shape = try c.extents(of: TensorTemplate(dims: reference), from: inputs)
            }
            guard let at = reference.firstIndex(of: newDim) else { throw c.unsupported("concat axis not found") }
            var dims = reference
            dims[at] = input.dims[axis]
            var partShape = shape
            partShape[at] = input.shape[axis]
            let renamed = input
            parts.append((try renamed.broadcastValues(to: dims, shape: partShape, layer: c.path), input.shape[axis]))
        }
        guard let at = reference.firstIndex(of: newDim) else { throw c.unsupported("concat axis not found") }
        let values = concatenate(parts, shape: shape, axis: at)
        var lengths: [String: [Int]] = [:]
        for input in inputs { lengths.merge(input.lengths) { a, _ in a } }
        var out = Tensor(template: TensorTemplate(dims: reference, dtype: c.template.dtype), shape: shape, lengths: lengths, values: values)
        out.pruneLengths()
        return out
    }

    // MARK: - Gather and dot

    static func gather(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        let axis = try Kernels.axis(c, "axis", in: x)
        let position: Tensor
        if let p = try c.optionInput("position") {
            position = p
        } else if let p = c.int("position") {
            position = .scalar(Float(p), dtype: "int32")
        } else {
            throw c.unsupported("gather position not understood")
        }
        var out = try c.output(from: [x, position])
        let xStrides = x.strides
        let pStrides = position.strides
        var xMap = [Int](repeating: 0, count: out.dims.count)
        var pMap = [Int](repeating: 0, count: out.dims.count)
        for (a, dim) in x.dims.enumerated() where a != axis {
            guard let o = out.axis(of: dim) else { throw .inconsistency(layer: c.path, message: "gather: '\(dim.name)' not in the output") }
            xMap[o] = xStrides[a]
        }
        for (a, dim) in position.dims.enumerated() {
            guard let o = out.axis(of: dim) else { throw .inconsistency(layer: c.path, message: "gather: position dim '\(dim.name)' not in the output") }
            pMap[o] = pStrides[a]
        }
        let limit = x.shape[axis]
        let step = xStrides[axis]
        let rank = out.shape.count
        var index = [Int](repeating: 0, count: rank)
        var xOffset = 0
        var pOffset = 0
        let valid = out.validMask()
        for i in 0..<out.count {
            let p = Int(position.values[pOffset])
            if p >= 0, p < limit {
                out.values[i] = x.values[xOffset + p * step]
            } else if valid[i] {
                throw .runtime(layer: c.path, message: "InvalidArgumentError: gather index \(p) is not in [0, \(limit))")
            }
            var a = rank - 1
            while a >= 0 {
                index[a] += 1
                xOffset += xMap[a]
                pOffset += pMap[a]
                if index[a] < out.shape[a] { break }
                xOffset -= xMap[a] * out.shape[a]
                pOffset -= pMap[a] * out.shape[a]
                index[a] = 0
                a -= 1
            }
        }
        return out
    }

    /// `dot`: the product of two inputs summed over the reduce axes (masked over dynamic ones); every other
    /// dim is kept (shared dims once).
    static func dot(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let inputs = try c.sources()
        guard inputs.count == 2 else { throw c.unsupported("dot needs two inputs") }
        let a = inputs[0], b = inputs[1]
        guard let specA = c.option("reduce") ?? c.option("red1"), let specB = c.option("reduce") ?? c.option("red2"),
            let axesA = AxisSpec.axes(specA, in: a.template), let axesB = AxisSpec.axes(specB, in: b.template), axesA.count == axesB.count
        else { throw c.unsupported("dot reduce axes not resolved") }
        for (i, j) in zip(axesA, axesB) where a.shape[i] != b.shape[j] {
            throw .runtime(layer: c.path, message: "dot: reduce extents \(a.shape[i]) and \(b.shape[j]) differ")
        }
        // Mask a over its dynamic reduce axes so that padding does not count.
        var maskedA = a
        if c.bool("use_mask") ?? true {
            let dynamic = axesA.filter { a.dims[$0].isDynamic && a.dims[$0].kind != .batch }
            if !dynamic.isEmpty {
                let valid = restrictLengths(a, to: dynamic).validMask()
                for i in maskedA.values.indices where !valid[i] { maskedA.values[i] = 0 }
            }
        }
        var out = try c.output(from: [a, b])
        let rank = out.dims.count
        let reduceShape = axesA.map { a.shape[$0] }
        let sa = a.strides, sb = b.strides
        var aMap = [Int](repeating: 0, count: rank)
        var bMap = [Int](repeating: 0, count: rank)
        for (axis, dim) in a.dims.enumerated() where !axesA.contains(axis) {
            guard let o = out.axis(of: dim) else { throw .inconsistency(layer: c.path, message: "dot: '\(dim.name)' not in the output") }
            aMap[o] = sa[axis]
        }
        for (axis, dim) in b.dims.enumerated() where !axesB.contains(axis) {
            guard let o = out.axis(of: dim) else { throw .inconsistency(layer: c.path, message: "dot: '\(dim.name)' not in the output") }
            bMap[o] = sb[axis]
        }
        // Offsets of every reduce position.
        let reduceCount = reduceShape.reduce(1, *)
        var pairs = [(Int, Int)](repeating: (0, 0), count: reduceCount)
        var rIndex = [Int](repeating: 0, count: reduceShape.count)
        for k in 0..<reduceCount {
            var oa = 0, ob = 0
            for (r, i) in rIndex.enumerated() {
                oa += i * sa[axesA[r]]
                ob += i * sb[axesB[r]]
            }
            pairs[k] = (oa, ob)
            var r = reduceShape.count - 1
            while r >= 0 {
                rIndex[r] += 1
                if rIndex[r] < reduceShape[r] { break }
                rIndex[r] = 0
                r -= 1
            }
        }
        var index = [Int](repeating: 0, count: rank)
        var offA = 0, offB = 0
        for i in 0..<out.count {
            var sum = 0.0
            for (pa, pb) in pairs { sum += Double(maskedA.values[offA + pa]) * Double(b.values[offB + pb]) }
            out.values[i] = Float(sum)
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                offA += aMap[d]
                offB += bMap[d]
                if index[d] < out.shape[d] { break }
                offA -= aMap[d] * out.shape[d]
                offB -= bMap[d] * out.shape[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    // MARK: - Window

    static func window(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        guard let size = c.int("window_size") else { throw c.unsupported("window without window_size") }
        let added = newDims(c.template, comparedTo: x)
        guard let windowDim = added.first(where: { $0.name.hasSuffix(":window") }) ?? added.first(where: { $0.size == size }) else {
            throw c.unsupported("window dim not found in \(c.template)")
        }
        let spec = c.string("axis") ?? (c.option("axis") == nil ? "T" : nil)
        if c.inLoop, spec?.lowercased() == "t", x.template.timeAxis == nil {
            // Inside a loop: a window over the past frames, kept as state.
            if let right = c.int("window_right"), right != 0 { throw .construction(layer: c.path, message: "recurrent window needs window_right=0") }
            if let left = c.int("window_left"), left != size - 1 { throw .construction(layer: c.path, message: "recurrent window needs window_left=window_size-1") }
            let key = EvaluationRun.StateKey(layer: c.id, slot: "state")
            let frameDims = x.dims
            let stateTemplate = TensorTemplate(dims: [frameDims[0]] + [windowDim] + Array(frameDims.dropFirst()), dtype: x.dtype)
            guard x.template.batchAxis == 0 else { throw c.unsupported("recurrent window on a frame without leading batch axis") }
            let previous = try c.run.readState(key, loops: c.loops) { () throws(EvaluationError) -> Tensor in
                Tensor.filled(0, template: stateTemplate, shape: [x.shape[0], size] + Array(x.shape.dropFirst()), lengths: x.lengths)
            }
            let frame = x.shape.dropFirst().reduce(1, *)
            var next = previous
            for b in 0..<x.shape[0] {
                let base = b * size * frame
                for w in 0..<(size - 1) {
                    for k in 0..<frame { next.values[base + w * frame + k] = previous.values[base + (w + 1) * frame + k] }
                }
                for k in 0..<frame { next.values[base + (size - 1) * frame + k] = x.values[b * frame + k] }
            }
            try c.run.writeState(key, next, previous: previous, loops: c.loops)
            return next
        }
        let axis = try Kernels.axis(c, "axis", in: x, default: "T")
        let padding = (c.string("padding") ?? "same").lowercased()
        let stride = c.int("stride") ?? 1
        let moved = x.permuted([axis] + x.shape.indices.filter { $0 != axis })
        let n = moved.shape[0]
        let frame = n == 0 ? 0 : moved.count / n
        var left = 0
        var outCount: Int
        if padding == "same" {
            var right = c.int("window_right")
            if right == nil {
                if let windowLeft = c.int("window_left") { right = size - windowLeft - 1 } else { right = size / 2 }
            }
            left = c.int("window_left") ?? (size - (right ?? 0) - 1)
            outCount = n
        } else if padding == "valid" {
            outCount = max(0, n - size + 1)
        } else {
            throw c.unsupported("window padding '\(padding)'")
        }
        if stride > 1 { outCount = (outCount + stride - 1) / stride }
        var values = [Float](repeating: 0, count: outCount * size * frame)
        for t in 0..<outCount {
            for w in 0..<size {
                let source = t * stride + w - left
                guard source >= 0, source < n else { continue }
                for k in 0..<frame { values[(t * size + w) * frame + k] = moved.values[source * frame + k] }
            }
        }
        let old = x.dims[axis]
        let timeDim = added.first { $0 != windowDim } ?? old
        var lengths = x.lengths
        if timeDim != old, let l = x.lengths[old.name] {
            lengths[timeDim.name] = l.map { len in
                let valid = padding == "valid" ? max(0, len - size + 1) : len
                return (valid + stride - 1) / stride
            }
        }
        var dims = moved.dims
        dims[0] = timeDim
        dims.insert(windowDim, at: 1)
        var out = Tensor(template: TensorTemplate(dims: dims, dtype: x.dtype), shape: [outCount, size] + Array(moved.shape.dropFirst()), lengths: lengths, values: values)
        out.pruneLengths()
        return out
    }
}

extension Kernels {
    // MARK: - More reshaping layers

    /// `gather_nd` (`GatherNdLayer`, a batch gather): `x[b, position[b, …], …]` on the first non-batch axis of
    /// the batch-major input.
    static func gatherND(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        guard let position = try c.optionInput("position") else { throw c.unsupported("gather_nd position not understood") }
        guard let batchAxis = x.template.batchAxis, x.dims.count >= 2 else { throw c.unsupported("gather_nd input needs a batch axis and another axis") }
        let movedX = x.permuted([batchAxis] + x.shape.indices.filter { $0 != batchAxis })
        var movedP = position
        if let pb = position.template.batchAxis {
            movedP = position.permuted([pb] + position.shape.indices.filter { $0 != pb })
        }
        let batch = movedX.shape[0], limit = movedX.shape[1]
        let frame = movedX.shape[2...].reduce(1, *)
        let perBatch = position.template.batchAxis == nil ? movedP.count : movedP.count / max(movedP.shape.first ?? 1, 1)
        var values = [Float](repeating: 0, count: batch * perBatch * frame)
        let valid = movedP.validMask()
        for b in 0..<batch {
            for p in 0..<perBatch {
                let pIndex = position.template.batchAxis == nil ? p : b * perBatch + p
                let index = Int(movedP.values[pIndex])
                guard index >= 0, index < limit else {
                    if valid[pIndex] {
                        throw .runtime(layer: c.path, message: "InvalidArgumentError: gather_nd index \(index) is not in [0, \(limit))")
                    }
                    continue
                }
                for k in 0..<frame { values[(b * perBatch + p) * frame + k] = movedX.values[(b * limit + index) * frame + k] }
            }
        }
        let positionDims = position.template.batchAxis == nil ? movedP.dims : Array(movedP.dims.dropFirst())
        let positionShape = position.template.batchAxis == nil ? movedP.shape : Array(movedP.shape.dropFirst())
        var lengths = position.lengths
        for (k, v) in movedX.lengths where k != movedX.dims[1].name { lengths[k] = v }
        var out = Tensor(
            template: TensorTemplate(dims: [movedX.dims[0]] + positionDims + Array(movedX.dims[2...]), dtype: x.dtype, sparseDim: x.template.sparseDim),
            shape: [batch] + positionShape + Array(movedX.shape[2...]), lengths: lengths, values: values)
        out.pruneLengths()
        return out
    }

    /// `prefix_in_time` with a number prefix repeated a fixed number of times: frames prepended, lengths grow.
    static func prefixInTime(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        if c.option("size_base") != nil { throw c.unsupported("prefix_in_time with size_base") }
        var prefix = 0.0
        if let node = c.option("prefix") {
            guard let number = node.numberValue else { throw c.unsupported("prefix_in_time with a layer prefix") }
            prefix = number
        }
        var repeatCount = 1
        if let node = c.option("repeat") {
            guard let count = node.intValue, count >= 0 else { throw c.unsupported("prefix_in_time repeat not understood") }
            repeatCount = count
        }
        let axis = try Kernels.axis(c, "axis", in: x, default: "T")
        let old = x.dims[axis]
        guard let newDim = newDims(c.template, comparedTo: x).first else { throw c.unsupported("prefix_in_time result dims not understood") }
        let moved = x.permuted([axis] + x.shape.indices.filter { $0 != axis })
        let frame = moved.shape[1...].reduce(1, *)
        var values = [Float](repeating: Float(prefix), count: repeatCount * frame)
        values += moved.values
        var out = moved
        out.template.dims[0] = newDim
        out.shape[0] += repeatCount
        out.values = values
        if let l = x.lengths[old.name] { out.lengths[newDim.name] = l.map { $0 + repeatCount } }
        out.pruneLengths()
        return out
    }

    /// `rec_unstack`: moved out of the loop it is the input itself; RETURNN does not implement it inside a loop.
    static func recUnstack(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let x = try c.concatenatedSources()
        if c.inLoop {
            throw .construction(layer: c.path, message: "NotImplementedError: rec_unstack is expected to be optimized out of the loop")
        }
        return x
    }

    /// `swap_axes`: the same values with two axes exchanged (the output template has the new order).
    static func swapAxes(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        try c.concatenatedSources()
    }
}
