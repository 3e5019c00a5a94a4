import NetConfig

/// What a kernel sees: the layer, its context, its inferred output template and access to its inputs.
struct KernelContext {
    let run: EvaluationRun
    let id: LayerID
    let loops: [LayerID]
    let template: TensorTemplate

    var node: GraphLayer { run.graph[id] }
    var layer: Layer { node.layer }
    var name: String { node.name }
    var path: String { run.path(id) }
    var inLoop: Bool { !loops.isEmpty }
    var batch: Int { run.batch }

    func option(_ key: String) -> ConfigNode? { layer.option(key) }
    func string(_ key: String) -> String? { option(key)?.stringValue }
    func int(_ key: String) -> Int? { option(key)?.intValue }
    func number(_ key: String) -> Double? { option(key)?.numberValue }
    func bool(_ key: String) -> Bool? { option(key)?.boolValue }

    /// An error saying this layer cannot be evaluated.
    func unsupported(_ reason: String) -> EvaluationError { .unsupported(layer: path, reason: reason) }

    /// The `from` inputs, as seen from this layer's context.
    func sources() throws(EvaluationError) -> [Tensor] {
        var result: [Tensor] = []
        for source in run.graph.sources(of: id) {
            result.append(try run.input(source.target, ref: source.ref, consumer: id, loops: loops))
        }
        return result
    }

    /// The `from` inputs concatenated on the feature axis (`_ConcatInputLayer`); one input is passed through.
    func concatenatedSources() throws(EvaluationError) -> Tensor {
        let inputs = try sources()
        guard !inputs.isEmpty else { throw unsupported("layer without input") }
        return try Kernels.concatenated(inputs, name: name, layer: path, broadcastMatches: ShapeRules.broadcastMatches(run.graph))
    }

    /// The input named by a reference option (`mask`, `position`, …), if the option holds a reference.
    func optionInput(_ option: String) throws(EvaluationError) -> Tensor? {
        guard let reference = run.graph.reference(of: id, option: option) else { return nil }
        return try run.input(reference.target, ref: reference.ref, consumer: id, loops: loops)
    }

    /// A parameter of this layer (`<prefix>/<name>`).
    func parameter(_ name: String, shape: [Int], role: ParameterRole) throws(EvaluationError) -> [Float] {
        try run.parameter("\(run.parameterPrefix(id))/\(name)", shape: shape, role: role)
    }

    /// The extents of a template's axes: batch size, static sizes, and the extents of dynamic dims from the
    /// inputs that have them (else the maximum known length).
    func extents(of template: TensorTemplate, from inputs: [Tensor]) throws(EvaluationError) -> [Int] {
        var result: [Int] = []
        for dim in template.dims {
            if dim.kind == .batch {
                result.append(inputs.compactMap(\.batchSize).first ?? batch)
            } else if let size = dim.size {
                result.append(size)
            } else if let input = inputs.first(where: { $0.has(dim) }), let axis = input.axis(of: dim) {
                result.append(input.shape[axis])
            } else if let l = run.dimLengths[dim.name] {
                result.append(l.max() ?? 0)
            } else {
                throw unsupported("the extent of dim '\(dim.name)' is unknown")
            }
        }
        return result
    }

    /// The lengths of the template's dynamic dims, from the inputs (else the run's known lengths).
    func lengths(of template: TensorTemplate, from inputs: [Tensor]) -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        for dim in template.dims where dim.isDynamic && dim.kind != .batch {
            if let l = inputs.lazy.compactMap({ $0.lengths[dim.name] }).first ?? run.dimLengths[dim.name] { result[dim.name] = l }
        }
        return result
    }

    /// An empty output tensor of this layer's template, with extents and lengths taken from the inputs.
    func output(from inputs: [Tensor], template: TensorTemplate? = nil) throws(EvaluationError) -> Tensor {
        let t = template ?? self.template
        let shape = try extents(of: t, from: inputs)
        return Tensor(template: t, shape: shape, lengths: lengths(of: t, from: inputs), values: [Float](repeating: 0, count: shape.reduce(1, *)))
    }
}

/// The kernels per layer class and the operations they share.
enum Kernels {
    /// The classes with a kernel.
    static let supported: Set<String> = ["copy", "dropout", "identity", "scaled_grad", "print", "synthetic_gradient", "source", "cast", "activation", "linear", "softmax", "combine", "eval", "compare", "switch", "constant", "reduce", "reduce_out", "cumsum", "length", "reinterpret_data", "slice", "concat", "dot", "split_dims", "merge_dims", "gather", "expand_dims", "squeeze", "window", "conv", "pool", "range_in_axis", "seq_len_mask", "softmax_over_spatial", "rec", "subnetwork", "masked_computation", "unmask", "choice", "decide", "gather_nd", "prefix_in_time", "rec_unstack", "swap_axes"]

    /// Runs the kernel of a class (nil when the class has none).
    static func run(_ className: String, _ c: KernelContext) throws(EvaluationError) -> Tensor? {
        switch className {
        case "copy", "dropout", "identity", "scaled_grad", "print", "synthetic_gradient": return try copy(c)
        case "source": return try source(c)
        case "cast": return try cast(c)
        case "activation": return try activation(c)
        case "linear": return try linear(c)
        case "softmax": return try linear(c)
        case "combine": return try combine(c)
        case "eval": return try eval(c)
        case "compare": return try compare(c)
        case "switch": return try switchLayer(c)
        case "constant": return try constant(c)
        case "reduce": return try reduce(c)
        case "reduce_out": return try reduceOut(c)
        case "cumsum": return try cumsum(c)
        case "length": return try length(c)
        case "reinterpret_data": return try reinterpretData(c)
        case "slice": return try slice(c)
        case "concat": return try concat(c)
        case "dot": return try dot(c)
        case "split_dims": return try splitDims(c)
        case "merge_dims": return try mergeDims(c)
        case "gather": return try gather(c)
        case "expand_dims": return try expandDims(c)
        case "squeeze": return try squeeze(c)
        case "window": return try window(c)
        case "conv": return try convolution(c)
        case "pool": return try convolution(c)
        case "range_in_axis": return try rangeInAxis(c)
        case "seq_len_mask": return try seqLenMask(c)
        case "softmax_over_spatial": return try softmaxOverSpatial(c)
        case "rec": return try rec(c)
        case "subnetwork": return try subnetwork(c)
        case "masked_computation": return try maskedComputation(c)
        case "unmask": return try unmask(c)
        case "choice": return try choice(c)
        case "decide": return try copy(c)
        case "gather_nd": return try gatherND(c)
        case "prefix_in_time": return try prefixInTime(c)
        case "rec_unstack": return try recUnstack(c)
        case "swap_axes": return try swapAxes(c)
        default: return nil
        }
    }

    // MARK: - Shared operations

    /// Several inputs concatenated on their feature axes after aligning the other dims
    /// (`get_concat_sources_data`); the template is the dims engine's (`ShapeRules.concatenated`).
    static func concatenated(_ inputs: [Tensor], name: String, layer: String, broadcastMatches: Bool) throws(EvaluationError) -> Tensor {
        guard let first = inputs.first else { throw .unsupported(layer: layer, reason: "no input") }
        if inputs.count == 1 { return first }
        guard case .known(let template) = ShapeRules.concatenated(inputs.map { .known($0.template) }, name: name, broadcastMatches: broadcastMatches),
            let featureAxis = template.featureAxis
        else {
            throw .unsupported(layer: layer, reason: "cannot concatenate the inputs \(inputs.map { $0.template.description })")
        }
        var shape: [Int] = []
        for (axis, dim) in template.dims.enumerated() {
            if axis == featureAxis { shape.append(dim.size ?? 0); continue }
            if dim.kind == .batch { shape.append(inputs.compactMap(\.batchSize).first ?? 1); continue }
            if let size = dim.size { shape.append(size); continue }
            guard let input = inputs.first(where: { $0.has(dim) }), let a = input.axis(of: dim) else {
                throw .inconsistency(layer: layer, message: "no extent for '\(dim.name)'")
            }
            shape.append(input.shape[a])
        }
        var parts: [(values: [Float], width: Int)] = []
        for input in inputs {
            guard let f = input.template.featureAxis else { throw .unsupported(layer: layer, reason: "concatenating an input without a feature axis") }
            var dims = template.dims
            dims[featureAxis] = input.dims[f]
            var partShape = shape
            partShape[featureAxis] = input.shape[f]
            parts.append((try input.broadcastValues(to: dims, shape: partShape, layer: layer), input.shape[f]))
        }
        let values = concatenate(parts, shape: shape, axis: featureAxis)
        var lengths: [String: [Int]] = [:]
        for input in inputs { lengths.merge(input.lengths) { a, _ in a } }
        var out = Tensor(template: template, shape: shape, lengths: lengths, values: values)
        out.pruneLengths()
        return out
    }

    /// Contiguous parts (each of `shape` but with its own extent on `axis`) joined along `axis`.
    static func concatenate(_ parts: [(values: [Float], width: Int)], shape: [Int], axis: Int) -> [Float] {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let total = shape[axis]
        var out = [Float](repeating: 0, count: outer * total * inner)
        var offset = 0
        for part in parts {
            for o in 0..<outer {
                let source = o * part.width * inner
                let target = (o * total + offset) * inner
                for k in 0..<(part.width * inner) { out[target + k] = part.values[source + k] }
            }
            offset += part.width
        }
        return out
    }

    /// `where(mask, a, b)` with a `[B]` (or broadcastable) boolean mask; the result has `a`'s layout.
    static func select(_ mask: Tensor, _ a: Tensor, _ b: Tensor, layer: String) throws(EvaluationError) -> Tensor {
        let m = try mask.broadcastValues(to: a.dims, shape: a.shape, layer: layer)
        let other = try b.broadcastValues(to: a.dims, shape: a.shape, layer: layer)
        var out = a
        for i in out.values.indices where m[i] == 0 { out.values[i] = other[i] }
        return out
    }

    /// The sequence shifted right by one frame along `axis`, with `initial` (the per-frame initial value) at 0.
    static func shiftRight(_ sequence: Tensor, axis: Int, initial: Tensor, layer: String) throws(EvaluationError) -> Tensor {
        let moved = sequence.permuted([axis] + sequence.shape.indices.filter { $0 != axis })
        let frameDims = Array(moved.dims.dropFirst())
        let frameShape = Array(moved.shape.dropFirst())
        let frameCount = frameShape.reduce(1, *)
        let first = try initial.broadcastValues(to: frameDims, shape: frameShape, layer: layer)
        var values = moved.values
        let steps = moved.shape.first ?? 0
        if steps > 0 {
            for t in stride(from: steps - 1, to: 0, by: -1) {
                for k in 0..<frameCount { values[t * frameCount + k] = moved.values[(t - 1) * frameCount + k] }
            }
            for k in 0..<frameCount { values[k] = first[k] }
        }
        var shifted = moved
        shifted.values = values
        var out = try shifted.transposed(to: sequence.dims, layer: layer)
        out.template = sequence.template
        return out
    }

    /// The frames of T that a masked_computation selects, compacted onto T' (time-major, zeros after the
    /// sequence's T' length), as `rec.py:9147-9173` does with `scatter_nd`.
    static func compact(_ value: Tensor, region: EvaluationRun.MaskedRegion, layer: String) throws(EvaluationError) -> Tensor {
        guard let timeAxis = value.axis(of: region.inSpatial), let batchAxis = value.template.batchAxis else {
            throw .unsupported(layer: layer, reason: "masking a value without batch axis")
        }
        let rest = value.shape.indices.filter { $0 != timeAxis && $0 != batchAxis }
        let moved = value.permuted([timeAxis, batchAxis] + rest)
        let batch = moved.shape[1]
        let frame = moved.shape[2...].reduce(1, *)
        let extent = region.outLengths.max() ?? 0
        var values = [Float](repeating: 0, count: extent * batch * frame)
        for b in 0..<min(batch, region.positions.count) {
            for (j, t) in region.positions[b].enumerated() where t < moved.shape[0] {
                let source = (t * batch + b) * frame
                let target = (j * batch + b) * frame
                for k in 0..<frame { values[target + k] = moved.values[source + k] }
            }
        }
        var template = value.template.moving(region.inSpatial, to: 0).replacing(region.inSpatial, with: region.outSpatial)
        var out = moved
        out.template.dims[0] = region.outSpatial
        out.shape[0] = extent
        out.values = values
        out.lengths[region.outSpatial.name] = region.outLengths
        out.lengths[region.inSpatial.name] = nil
        out = try out.transposed(to: template.dims, layer: layer)
        template.explicitFeatureAxis = value.template.featureDim.flatMap { template.dims.firstIndex(of: $0) }
        out.template = template
        return out
    }

    /// The scatter-back of a masked_computation moved out of its loop (§1.4/§2.3 "left copy", with
    /// `mask AND seq_mask`): frame t takes the last selected frame at or before t, or `initial` before the first.
    static func unmaskRegion(_ value: Tensor, region: EvaluationRun.MaskedRegion, initial: Tensor, layer: String) throws(EvaluationError) -> Tensor {
        var selected: [[Bool]] = []
        for positions in region.positions {
            var row = [Bool](repeating: false, count: region.inExtent)
            for t in positions where t < region.inExtent { row[t] = true }
            selected.append(row)
        }
        return try leftCopy(
            value, from: region.outSpatial, to: region.inSpatial, selected: selected, lengths: region.inLengths, initial: initial, layer: layer)
    }

    /// Left-copy unmasking of `value` from T' onto T: frame t of batch entry b takes frame k-1 of T', where k is
    /// the number of selected frames of b up to t, or `initial` when k = 0. The result is time-major [T, …].
    static func leftCopy(
        _ value: Tensor, from outSpatial: Dim, to inSpatial: Dim, selected: [[Bool]], lengths: [Int], initial: Tensor, layer: String
    ) throws(EvaluationError) -> Tensor {
        guard let axis = value.axis(of: outSpatial), let batchAxis = value.template.batchAxis else {
            throw .unsupported(layer: layer, reason: "unmasking a value without batch axis")
        }
        let rest = value.shape.indices.filter { $0 != axis && $0 != batchAxis }
        let moved = value.permuted([axis, batchAxis] + rest)
        let frameDims = Array(moved.dims.dropFirst())
        let frameShape = Array(moved.shape.dropFirst())
        let initialValues = try initial.broadcastValues(to: frameDims, shape: frameShape, layer: layer)
        let batch = moved.shape[1]
        let frame = moved.shape[2...].reduce(1, *)
        let sourceSteps = moved.shape[0]
        let steps = selected.map(\.count).max() ?? 0
        var values = [Float](repeating: 0, count: steps * batch * frame)
        for b in 0..<batch {
            var k = 0
            for t in 0..<steps {
                if b < selected.count, t < selected[b].count, selected[b][t] { k += 1 }
                let target = (t * batch + b) * frame
                if k == 0 {
                    for i in 0..<frame { values[target + i] = initialValues[b * frame + i] }
                } else {
                    guard k - 1 < sourceSteps else {
                        throw .runtime(layer: layer, message: "InvalidArgumentError: unmask index \(k) does not index into \(sourceSteps) masked frames (GatherNd)")
                    }
                    let source = ((k - 1) * batch + b) * frame
                    for i in 0..<frame { values[target + i] = moved.values[source + i] }
                }
            }
        }
        var template = moved.template
        template.dims[0] = inSpatial
        template.explicitFeatureAxis = value.template.featureDim.flatMap { template.dims.firstIndex(of: $0) }
        var lengthsOut = moved.lengths
        lengthsOut[outSpatial.name] = nil
        lengthsOut[inSpatial.name] = lengths
        var shape = moved.shape
        shape[0] = steps
        return Tensor(template: template, shape: shape, lengths: lengthsOut, values: values)
    }
}
