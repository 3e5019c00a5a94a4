/// A value over named dims: RETURNN's template (`TensorTemplate`) plus contiguous row-major `Float` storage.
///
/// Dims are identified by name (`Dim` equality). Integers and booleans are stored as `Float` too: every
/// integer of magnitude up to 2^24 is exact (indices, lengths and class labels are far below that), a boolean
/// is 0 or 1. Dynamic dims carry per-sequence lengths (`lengths[dim.name]`, one entry per batch entry); the
/// extent of such an axis (`shape`) is the padded size, normally the maximum length.
public struct Tensor: Sendable {
    /// Dims in axis order, dtype, sparse dim and feature axis.
    public var template: TensorTemplate
    /// The extent of every axis.
    public var shape: [Int]
    /// Per-sequence lengths of dynamic dims, keyed by dim name.
    public var lengths: [String: [Int]]
    /// The values, row-major over `shape`.
    public var values: [Float]

    /// Creates a tensor without checks (internal use: kernels keep shapes consistent).
    init(template: TensorTemplate, shape: [Int], lengths: [String: [Int]], values: [Float]) {
        self.template = template
        self.shape = shape
        self.lengths = lengths
        self.values = values
    }

    /// Creates a tensor from dims, extents and values; the value count and the lengths must fit the shape.
    public init(
        dims: [Dim], shape: [Int], values: [Float], dtype: String = "float32", sparseDim: Dim? = nil,
        lengths: [String: [Int]] = [:]
    ) throws(EvaluationError) {
        guard dims.count == shape.count else {
            throw .invalidInput("tensor with \(dims.count) dims but a shape of rank \(shape.count)")
        }
        let count = shape.reduce(1, *)
        guard values.count == count, shape.allSatisfy({ $0 >= 0 }) else {
            throw .invalidInput("tensor of shape \(shape) needs \(count) values, got \(values.count)")
        }
        for (dim, extent) in zip(dims, shape) {
            if let size = dim.size, size != extent {
                throw .invalidInput("dim '\(dim.name)' has size \(size) but the tensor's extent is \(extent)")
            }
        }
        self.init(template: TensorTemplate(dims: dims, dtype: dtype, sparseDim: sparseDim), shape: shape, lengths: lengths, values: values)
    }

    /// A tensor of one value everywhere.
    static func filled(_ value: Float, template: TensorTemplate, shape: [Int], lengths: [String: [Int]]) -> Tensor {
        Tensor(template: template, shape: shape, lengths: lengths, values: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A scalar.
    static func scalar(_ value: Float, dtype: String = "float32") -> Tensor {
        Tensor(template: TensorTemplate(dims: [], dtype: dtype), shape: [], lengths: [:], values: [value])
    }

    // MARK: - Shape

    /// The dims in axis order.
    public var dims: [Dim] { template.dims }
    /// The dtype (`float32`, `int32`, `bool`, …).
    public var dtype: String { template.dtype }
    /// The number of elements.
    public var count: Int { values.count }
    /// True for boolean data.
    var isBool: Bool { template.dtype == "bool" }
    /// True for integer data.
    var isInteger: Bool { template.dtype.hasPrefix("int") || template.dtype.hasPrefix("uint") }

    /// Row-major strides.
    var strides: [Int] { Tensor.strides(for: shape) }

    /// Row-major strides of a shape.
    public static func strides(for shape: [Int]) -> [Int] {
        var result = [Int](repeating: 1, count: shape.count)
        var stride = 1
        for axis in shape.indices.reversed() {
            result[axis] = stride
            stride *= shape[axis]
        }
        return result
    }

    /// The first axis with this dim.
    public func axis(of dim: Dim) -> Int? { template.dims.firstIndex(of: dim) }

    /// True when the tensor has this dim.
    public func has(_ dim: Dim) -> Bool { template.dims.contains(dim) }

    /// The batch size, if there is a batch axis.
    var batchSize: Int? { template.batchAxis.map { shape[$0] } }

    /// The lengths of a dynamic dim of this tensor, if known.
    func sequenceLengths(_ dim: Dim) -> [Int]? { lengths[dim.name] }

    /// Keeps only the lengths of dims that are still present.
    mutating func pruneLengths() {
        let names = Set(template.dims.map(\.name))
        lengths = lengths.filter { names.contains($0.key) }
    }

    // MARK: - Layout

    /// The permutation that brings `self` into the order of `target` (same dims, any order), matched by
    /// identity; nil when the dims differ.
    func permutation(to target: [Dim]) -> [Int]? {
        guard target.count == template.dims.count else { return nil }
        var used = [Bool](repeating: false, count: target.count)
        var perm: [Int] = []
        for dim in target {
            guard let axis = template.dims.indices.first(where: { !used[$0] && template.dims[$0] == dim }) else { return nil }
            used[axis] = true
            perm.append(axis)
        }
        return perm
    }

    /// The tensor with its axes in the order of `target` (which must hold the same dims).
    func transposed(to target: [Dim], layer: String) throws(EvaluationError) -> Tensor {
        guard let perm = permutation(to: target) else {
            throw .inconsistency(layer: layer, message: "value dims \(TensorTemplate(dims: template.dims)) do not match \(TensorTemplate(dims: target))")
        }
        return permuted(perm)
    }

    /// The tensor with axis `perm[i]` of `self` as its axis `i`.
    func permuted(_ perm: [Int]) -> Tensor {
        if perm == Array(0..<perm.count) { return self }
        let newShape = perm.map { shape[$0] }
        let old = strides
        let gatherStrides = perm.map { old[$0] }
        var out = self
        out.template.dims = perm.map { template.dims[$0] }
        if let f = template.explicitFeatureAxis { out.template.explicitFeatureAxis = perm.firstIndex(of: f) }
        out.shape = newShape
        out.values = Tensor.gather(values, strides: gatherStrides, offset: 0, shape: newShape)
        return out
    }

    /// The tensor moved onto a template with the same dims (order, dtype, sparsity and feature axis taken from it).
    func conformed(to target: TensorTemplate, layer: String) throws(EvaluationError) -> Tensor {
        var out = try transposed(to: target.dims, layer: layer)
        out.template = target
        out.pruneLengths()
        return out
    }

    /// Copies `source` (read with `strides`, from `offset`) into a new contiguous array of `shape`.
    static func gather(_ source: [Float], strides: [Int], offset: Int, shape: [Int]) -> [Float] {
        let n = shape.reduce(1, *)
        var out = [Float](repeating: 0, count: n)
        guard n > 0 else { return out }
        let rank = shape.count
        if rank == 0 {
            out[0] = source[offset]
            return out
        }
        var index = [Int](repeating: 0, count: rank)
        var position = offset
        source.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<n {
                    dst[i] = src[position]
                    var axis = rank - 1
                    while axis >= 0 {
                        index[axis] += 1
                        position += strides[axis]
                        if index[axis] < shape[axis] { break }
                        position -= strides[axis] * shape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        return out
    }

    /// For each axis of `target`, the axis of `self` it reads from (nil: broadcast), matched as RETURNN's
    /// `copy_compatible_to`: same dim, then a same-size static dim (both auto-generated), and size-1 dims of
    /// `self` without a partner are dropped. Throws when a dim of `self` has no place in `target`.
    func axisMap(to target: [Dim], layer: String) throws(EvaluationError) -> [Int?] {
        var map = [Int?](repeating: nil, count: target.count)
        var pending: [Int] = []
        for (axis, dim) in template.dims.enumerated() {
            if let t = target.indices.first(where: { map[$0] == nil && target[$0] == dim }) {
                map[t] = axis
            } else {
                pending.append(axis)
            }
        }
        for axis in pending {
            let dim = template.dims[axis]
            if let t = target.indices.first(where: { map[$0] == nil && !template.dims.contains(target[$0]) && CommonData.strictMatch(target[$0], dim) }) {
                map[t] = axis
            } else if shape[axis] == 1 {
                continue
            } else {
                throw .inconsistency(layer: layer, message: "cannot broadcast \(TensorTemplate(dims: template.dims)) to \(TensorTemplate(dims: target)): no axis for \(dim.description)")
            }
        }
        return map
    }

    /// The values broadcast onto `target` dims with extents `targetShape` (contiguous).
    func broadcastValues(to target: [Dim], shape targetShape: [Int], layer: String) throws(EvaluationError) -> [Float] {
        let map = try axisMap(to: target, layer: layer)
        let own = strides
        var gatherStrides = [Int](repeating: 0, count: target.count)
        for (t, source) in map.enumerated() {
            guard let source else { continue }
            if shape[source] == targetShape[t] {
                gatherStrides[t] = own[source]
            } else if shape[source] == 1 {
                gatherStrides[t] = 0
            } else {
                throw .inconsistency(layer: layer, message: "extent \(shape[source]) of '\(template.dims[source].name)' does not fit \(targetShape[t])")
            }
        }
        // Size-1 source axes that were dropped contribute no offset (index 0).
        if map.allSatisfy({ $0 != nil }) && targetShape == shape && map.enumerated().allSatisfy({ $0.offset == $0.element }) {
            return values
        }
        return Tensor.gather(values, strides: gatherStrides, offset: 0, shape: targetShape)
    }

    // MARK: - Frames

    /// The slice at index `index` of axis `axis` (the axis removed).
    func slice(at index: Int, axis: Int) -> Tensor {
        var newShape = shape
        newShape.remove(at: axis)
        var newStrides = strides
        let step = newStrides.remove(at: axis)
        var out = self
        out.template = template.removing(axis: axis)
        out.shape = newShape
        out.values = Tensor.gather(values, strides: newStrides, offset: index * step, shape: newShape)
        out.pruneLengths()
        return out
    }

    /// The frame `t` of dim `dim` (the dim removed); frames beyond the extent are zeros.
    func frame(_ t: Int, of dim: Dim) -> Tensor? {
        guard let axis = axis(of: dim) else { return nil }
        if t < shape[axis] { return slice(at: t, axis: axis) }
        var out = slice(at: 0, axis: axis)
        out.values = [Float](repeating: 0, count: out.values.count)
        return out
    }

    /// Frames stacked along a new axis 0 of dim `dim` with the given lengths (all frames must have one layout).
    static func stacked(_ frames: [Tensor], along dim: Dim, lengths: [Int]?, frameTemplate: TensorTemplate, frameShape: [Int]) -> Tensor {
        var template = frameTemplate.inserting(dim, at: 0)
        template.explicitFeatureAxis = frameTemplate.explicitFeatureAxis.map { $0 + 1 }
        let frameCount = frameShape.reduce(1, *)
        var values = [Float]()
        values.reserveCapacity(frameCount * frames.count)
        var frameLengths: [String: [Int]] = [:]
        for frame in frames {
            values += frame.values
            for (k, v) in frame.lengths { frameLengths[k] = v }
        }
        if let lengths { frameLengths[dim.name] = lengths }
        return Tensor(template: template, shape: [frames.count] + frameShape, lengths: frameLengths, values: values)
    }

    // MARK: - Masks

    /// Per element: true when the element lies within the lengths of every dynamic dim (for dims with known
    /// lengths; a tensor without a batch axis uses the maximum length).
    public func validMask() -> [Bool] {
        var checks: [(axis: Int, lengths: [Int])] = []
        for (axis, dim) in template.dims.enumerated() where dim.kind != .batch && dim.isDynamic {
            if let l = lengths[dim.name] { checks.append((axis, l)) }
        }
        let n = values.count
        guard !checks.isEmpty else { return [Bool](repeating: true, count: n) }
        let batchAxis = template.batchAxis
        var result = [Bool](repeating: true, count: n)
        guard n > 0 else { return result }
        var index = [Int](repeating: 0, count: shape.count)
        for i in 0..<n {
            for check in checks {
                let limit: Int
                if let b = batchAxis {
                    limit = check.lengths.indices.contains(index[b]) ? check.lengths[index[b]] : 0
                } else {
                    limit = check.lengths.max() ?? 0
                }
                if index[check.axis] >= limit {
                    result[i] = false
                    break
                }
            }
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }

    /// The layout of the conformance goldens: batch first, then the other axes in order, the feature axis last.
    public func batchSpatialMajor() -> Tensor {
        var order: [Int] = []
        if let b = template.batchAxis { order.append(b) }
        let feature = template.featureAxis
        for axis in shape.indices where !order.contains(axis) && axis != feature { order.append(axis) }
        if let feature, !order.contains(feature) { order.append(feature) }
        return permuted(order)
    }
}

extension Tensor {
    /// The shape and sequence lengths of a value with `template`'s dims: `batch` for the batch dim, the static
    /// sizes, and for each dynamic dim the lengths `lengthsOf` gives (its extent is their maximum).
    static func layout(
        of template: TensorTemplate, batch: Int, lengthsOf: (Dim) throws(EvaluationError) -> [Int]
    ) throws(EvaluationError) -> (shape: [Int], lengths: [String: [Int]]) {
        var shape: [Int] = []
        var lengths: [String: [Int]] = [:]
        for dim in template.dims {
            if dim.kind == .batch {
                shape.append(batch)
            } else if let size = dim.size {
                shape.append(size)
            } else {
                let l = try lengthsOf(dim)
                lengths[dim.name] = l
                shape.append(l.max() ?? 0)
            }
        }
        return (shape, lengths)
    }
}

extension Tensor {
    /// The tensor with its axes in the order of `dims` (the same dims, matched by identity).
    public func transposed(to dims: [Dim]) throws(EvaluationError) -> Tensor {
        try transposed(to: dims, layer: "")
    }

    /// The values broadcast onto `dims` with extents `shape` (missing dims repeat, size-1 dims are dropped;
    /// static dims of equal size match as in RETURNN's `copy_compatible_to`), contiguous row-major.
    public func broadcast(to dims: [Dim], shape: [Int]) throws(EvaluationError) -> [Float] {
        try broadcastValues(to: dims, shape: shape, layer: "")
    }

    /// The largest absolute difference to `other` (the same dims, in any order) over the frames that are valid
    /// in `self` (NaN against NaN counts as equal); throws when the dims differ or a valid frame of `self` lies
    /// outside `other`.
    public func maxAbsDifference(to other: Tensor) throws(EvaluationError) -> Double {
        guard let perm = other.permutation(to: dims) else {
            throw .invalidInput("cannot compare \(template) with \(other.template): different dims")
        }
        let aligned = other.permuted(perm)
        let valid = validMask()
        let otherStrides = aligned.strides
        var index = [Int](repeating: 0, count: shape.count)
        var result = 0.0
        for i in 0..<count {
            if valid[i] {
                var offset = 0
                for a in shape.indices {
                    guard index[a] < aligned.shape[a] else {
                        throw .invalidInput("valid frame \(index) of \(template) is outside the other tensor's shape \(aligned.shape)")
                    }
                    offset += index[a] * otherStrides[a]
                }
                let x = Double(values[i]), y = Double(aligned.values[offset])
                if x.isNaN || y.isNaN {
                    if !(x.isNaN && y.isNaN) { result = .infinity }
                } else {
                    result = max(result, abs(x - y))
                }
            }
            var a = shape.count - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < shape[a] { break }
                index[a] = 0
                a -= 1
            }
        }
        return result
    }
}
