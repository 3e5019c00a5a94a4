import NetConfig

/// The options of a conv/pool layer.
struct ConvolutionOptions {
    var isPool: Bool
    var filter: [Int]
    var strides: [Int]
    var dilation: [Int]
    var same: Bool
}

/// Where each output position of a convolution reads its input.
struct ConvolutionGeometry {
    var inExtent: [Int]
    var outExtent: [Int]
    var span: [Int]
    /// For every (output position, filter position): the flat input position, or -1 outside the input.
    var sourceIndex: [Int]
    var filterPositions: Int
}

extension Kernels {
    /// N-D `conv` and `pool` over all spatial axes (non-batch, non-feature, in axis order), with TensorFlow's
    /// `SAME`/`VALID` padding over the padded extent; the input's padding frames are not masked, as in RETURNN.
    static func convolution(_ c: KernelContext) throws(EvaluationError) -> Tensor {
        let options = try convolutionOptions(c)
        let x = try c.concatenatedSources()
        guard let f = x.template.featureAxis, let batchAxis = x.template.batchAxis else { throw c.unsupported("input without batch or feature axis") }
        let spatial = x.shape.indices.filter { $0 != f && $0 != batchAxis }
        let rank = options.filter.count
        guard spatial.count == rank else { throw c.unsupported("conv/pool over \(spatial.count) spatial axes with a \(rank)-d filter") }
        var input = x
        if c.bool("use_time_mask") == true {
            let valid = restrictLengths(x, to: spatial).validMask()
            for i in input.values.indices where !valid[i] { input.values[i] = 0 }
        }
        let moved = input.permuted([batchAxis] + spatial + [f])
        let geometry = convolutionGeometry(inExtent: Array(moved.shape[1...rank]), options: options)
        let outSpatialDims = convolutionSpatialDims(c, x: x, spatial: spatial, geometry: geometry, options: options)
        let batch = moved.shape[0], nIn = moved.shape[rank + 1]
        let outFeature: Dim
        var nOut = nIn
        if options.isPool {
            outFeature = x.dims[f]
        } else {
            guard let feature = c.template.featureDim, let size = feature.size else { throw c.unsupported("conv output feature dim unknown") }
            outFeature = feature
            nOut = size
        }
        var values: [Float]
        if options.isPool {
            let mode = (c.string("mode") ?? "max").lowercased()
            guard mode == "max" || mode == "avg" else { throw c.unsupported("pool mode '\(mode)'") }
            values = poolValues(moved.values, batch: batch, channels: nIn, geometry: geometry, max: mode == "max")
        } else {
            let filterPositions = geometry.filterPositions
            let w = try c.parameter(
                "W", shape: options.filter + [nIn, nOut], role: .weight(fanIn: filterPositions * nIn, fanOut: filterPositions * nOut))
            values = convolutionValues(moved.values, batch: batch, nIn: nIn, nOut: nOut, weights: w, geometry: geometry)
            let behaviorVersion = c.run.graph.config.setting("behavior_version")?.intValue ?? 0
            if c.bool("with_bias") ?? (behaviorVersion >= 10) {
                let bias = try c.parameter("bias", shape: [nOut], role: .bias)
                let rows = values.count / max(nOut, 1)
                for r in 0..<rows { for o in 0..<nOut { values[r * nOut + o] += bias[o] } }
            }
        }
        var lengths = x.lengths
        for (a, axis) in spatial.enumerated() where outSpatialDims[a] != x.dims[axis] {
            guard let l = x.lengths[x.dims[axis].name] else { continue }
            let stride = options.strides[a], span = geometry.span[a]
            lengths[outSpatialDims[a].name] = l.map { len in
                options.same ? (len + stride - 1) / stride : (len >= span ? (len - span) / stride + 1 : 0)
            }
        }
        var template = TensorTemplate(dims: [moved.dims[0]] + outSpatialDims + [outFeature])
        template.explicitFeatureAxis = rank + 1
        var out = Tensor(template: template, shape: [batch] + geometry.outExtent + [nOut], lengths: lengths, values: values)
        out.pruneLengths()
        if !options.isPool, let activation = c.string("activation") {
            out = try Activation.parse(activation, layer: c.path).apply(out, layer: c.path)
        }
        return out
    }

    /// Filter or pool size, strides, dilation and padding of a conv/pool layer.
    static func convolutionOptions(_ c: KernelContext) throws(EvaluationError) -> ConvolutionOptions {
        let isPool = c.layer.className == "pool"
        let filterNode = isPool ? c.option("pool_size") : c.option("filter_size")
        var filter: [Int] = []
        if let single = filterNode?.intValue { filter = [single] } else if let list = filterNode?.elements { filter = list.compactMap(\.intValue) }
        guard !filter.isEmpty, filter.count == (filterNode?.elements?.count ?? 1), filter.allSatisfy({ $0 > 0 }) else {
            throw c.unsupported("filter/pool size not understood")
        }
        let rank = filter.count
        let strides = try perAxis(c, "strides", rank: rank, default: isPool ? filter : Array(repeating: 1, count: rank))
        let dilation = try perAxis(c, "dilation_rate", rank: rank, default: Array(repeating: 1, count: rank))
        if let groups = c.int("groups"), groups != 1 { throw c.unsupported("grouped convolution") }
        // Each extent at most 2^16 and the filter positions within the element budget keep all index arithmetic exact.
        let maxExtent = 1 << 16
        guard (filter + strides + dilation).allSatisfy({ $0 <= maxExtent }) else {
            throw c.unsupported("filter, stride or dilation above \(maxExtent)")
        }
        _ = try EvaluationLimits.elementCount(filter, what: "filter", layer: c.path)
        for key in ["in_spatial_dims", "out_spatial_dims", "input_split_feature_dim", "input_expand_dims", "input_add_feature_dim", "filter", "bias"] {
            if let node = c.option(key), !node.isNull { throw c.unsupported("conv/pool option '\(key)'") }
        }
        let paddingText = c.string("padding") ?? (isPool ? "valid" : "")
        let padding = paddingText.lowercased()
        guard padding == "same" || padding == "valid" else { throw c.unsupported("padding '\(paddingText)' not supported") }
        return ConvolutionOptions(isPool: isPool, filter: filter, strides: strides, dilation: dilation, same: padding == "same")
    }

    /// An int-or-list option with one positive entry per spatial axis.
    static func perAxis(_ c: KernelContext, _ key: String, rank: Int, default value: [Int]) throws(EvaluationError) -> [Int] {
        guard let node = c.option(key), !node.isNull else { return value }
        var result: [Int] = []
        if let v = node.intValue {
            result = Array(repeating: v, count: rank)
        } else if let list = node.elements {
            result = list.compactMap(\.intValue)
        }
        guard result.count == rank, result.allSatisfy({ $0 > 0 }) else { throw c.unsupported("'\(key)' not understood") }
        return result
    }

    /// Output extents and the input position each (output, filter) position reads (TF `SAME`: the padding
    /// is split with the smaller half on the left).
    static func convolutionGeometry(inExtent: [Int], options: ConvolutionOptions) -> ConvolutionGeometry {
        let rank = inExtent.count
        var span = [Int](repeating: 1, count: rank)
        var outExtent = [Int](repeating: 0, count: rank)
        var padLeft = [Int](repeating: 0, count: rank)
        for a in 0..<rank {
            span[a] = (options.filter[a] - 1) * options.dilation[a] + 1
            let n = inExtent[a], s = options.strides[a]
            if options.same {
                outExtent[a] = (n + s - 1) / s
                padLeft[a] = max((outExtent[a] - 1) * s + span[a] - n, 0) / 2
            } else {
                outExtent[a] = n >= span[a] ? (n - span[a]) / s + 1 : 0
            }
        }
        let inStrides = Tensor.strides(for: inExtent)
        let outPositions = outExtent.reduce(1, *)
        let filterPositions = options.filter.reduce(1, *)
        var sourceIndex = [Int](repeating: -1, count: outPositions * filterPositions)
        var outIndex = [Int](repeating: 0, count: rank)
        var filterIndex = [Int](repeating: 0, count: rank)
        for p in 0..<outPositions {
            for a in 0..<rank { filterIndex[a] = 0 }
            for q in 0..<filterPositions {
                var position = 0
                var inside = true
                for a in 0..<rank {
                    let s = outIndex[a] * options.strides[a] + filterIndex[a] * options.dilation[a] - padLeft[a]
                    if s < 0 || s >= inExtent[a] { inside = false }
                    position += s * inStrides[a]
                }
                sourceIndex[p * filterPositions + q] = inside ? position : -1
                var a = rank - 1
                while a >= 0 {
                    filterIndex[a] += 1
                    if filterIndex[a] < options.filter[a] { break }
                    filterIndex[a] = 0
                    a -= 1
                }
            }
            var a = rank - 1
            while a >= 0 {
                outIndex[a] += 1
                if outIndex[a] < outExtent[a] { break }
                outIndex[a] = 0
                a -= 1
            }
        }
        return ConvolutionGeometry(inExtent: inExtent, outExtent: outExtent, span: span, sourceIndex: sourceIndex, filterPositions: filterPositions)
    }

    /// The output spatial dims: where an axis changes, the template's new dim (in order), else the input's.
    static func convolutionSpatialDims(
        _ c: KernelContext, x: Tensor, spatial: [Int], geometry: ConvolutionGeometry, options: ConvolutionOptions
    ) -> [Dim] {
        let added = newDims(c.template, comparedTo: x).filter { $0 != c.template.featureDim }
        var result: [Dim] = []
        var next = 0
        for (a, axis) in spatial.enumerated() {
            let unchanged = options.strides[a] == 1 && (options.same || geometry.span[a] == 1)
            if unchanged || next >= added.count {
                result.append(x.dims[axis])
            } else {
                result.append(added[next])
                next += 1
            }
        }
        return result
    }

    /// Max or average pooling of `[B, positions, C]` values (the average over the positions inside the input).
    static func poolValues(_ input: [Float], batch: Int, channels: Int, geometry: ConvolutionGeometry, max useMax: Bool) -> [Float] {
        let outPositions = geometry.outExtent.reduce(1, *)
        let inPositions = geometry.inExtent.reduce(1, *)
        let filterPositions = geometry.filterPositions
        var values = [Float](repeating: 0, count: batch * outPositions * channels)
        for b in 0..<batch {
            for p in 0..<outPositions {
                for ch in 0..<channels {
                    var acc = useMax ? -Double.infinity : 0
                    var count = 0
                    for q in 0..<filterPositions {
                        let s = geometry.sourceIndex[p * filterPositions + q]
                        if s < 0 { continue }
                        let v = Double(input[(b * inPositions + s) * channels + ch])
                        acc = useMax ? Swift.max(acc, v) : acc + v
                        count += 1
                    }
                    values[(b * outPositions + p) * channels + ch] = Float(useMax ? acc : (count > 0 ? acc / Double(count) : 0))
                }
            }
        }
        return values
    }

    /// Convolution of `[B, positions, nIn]` values with `weights` `[filter…, nIn, nOut]` (Double accumulation).
    static func convolutionValues(_ input: [Float], batch: Int, nIn: Int, nOut: Int, weights: [Float], geometry: ConvolutionGeometry) -> [Float] {
        let outPositions = geometry.outExtent.reduce(1, *)
        let inPositions = geometry.inExtent.reduce(1, *)
        let filterPositions = geometry.filterPositions
        var values = [Float](repeating: 0, count: batch * outPositions * nOut)
        var acc = [Double](repeating: 0, count: nOut)
        for b in 0..<batch {
            for p in 0..<outPositions {
                for o in 0..<nOut { acc[o] = 0 }
                for q in 0..<filterPositions {
                    let s = geometry.sourceIndex[p * filterPositions + q]
                    if s < 0 { continue }
                    let base = (b * inPositions + s) * nIn
                    for i in 0..<nIn {
                        let v = Double(input[base + i])
                        if v == 0 { continue }
                        let row = (q * nIn + i) * nOut
                        for o in 0..<nOut { acc[o] += v * Double(weights[row + o]) }
                    }
                }
                for o in 0..<nOut { values[(b * outPositions + p) * nOut + o] = Float(acc[o]) }
            }
        }
        return values
    }
}
