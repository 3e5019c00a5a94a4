/// The shape of a layer's output without values (RETURNN's template `Tensor`): dims in order, dtype,
/// sparsity and which axes are the time and feature axes.
public struct TensorTemplate: Hashable, Sendable, CustomStringConvertible {
    /// The dims in RETURNN's axis order for this layer (e.g. time-major after a rec loop).
    public var dims: [Dim]
    /// `float32`, `int32`, `bool`, …
    public var dtype: String
    /// The class dim of sparse data (the values are indices into it); nil for dense data.
    public var sparseDim: Dim?
    /// An explicitly set feature axis (nil: RETURNN's default rule, see `featureAxis`).
    public var explicitFeatureAxis: Int?
    /// True when the feature axis is explicitly "none" even though the default rule would find one.
    public var noFeatureAxis: Bool
    /// An explicitly set time axis (RETURNN's `time_dim_axis` where it differs from the default rule, e.g.
    /// after `swap_axes` or `set_axes`); nil: the default rule, see `timeAxis`.
    public var explicitTimeAxis: Int?
    /// True when the time axis is explicitly "none" even though the default rule would find one.
    public var noTimeAxis: Bool = false

    /// Creates a template.
    public init(dims: [Dim], dtype: String = "float32", sparseDim: Dim? = nil, featureAxis: Int? = nil, noFeatureAxis: Bool = false) {
        self.dims = dims
        self.dtype = dtype
        self.sparseDim = sparseDim
        self.explicitFeatureAxis = featureAxis
        self.noFeatureAxis = noFeatureAxis
    }

    /// True for sparse (class index) data.
    public var isSparse: Bool { sparseDim != nil }

    /// The batch axis, if any.
    public var batchAxis: Int? { dims.firstIndex { $0.kind == .batch } }

    /// RETURNN's time axis: explicit, else the default rule (the first dynamic spatial axis, else the first
    /// dynamic non-batch axis).
    public var timeAxis: Int? {
        if noTimeAxis { return nil }
        if let explicit = explicitTimeAxis, explicit < dims.count { return explicit }
        if let i = dims.firstIndex(where: { $0.kind == .spatial && $0.isDynamic }) { return i }
        return dims.firstIndex { $0.kind != .batch && $0.isDynamic }
    }

    /// RETURNN's feature axis: explicit, else none for sparse data, else the last static axis other than the
    /// batch and time axes (or the last such axis if none is static).
    public var featureAxis: Int? {
        if noFeatureAxis || isSparse { return nil }
        if let explicit = explicitFeatureAxis, explicit < dims.count { return explicit }
        let time = timeAxis
        let candidates = dims.indices.filter { dims[$0].kind != .batch && $0 != time }
        if let lastStatic = candidates.last(where: { !dims[$0].isDynamic }) { return lastStatic }
        return candidates.last
    }

    /// The time dim, if any.
    public var timeDim: Dim? { timeAxis.map { dims[$0] } }
    /// The feature dim, if any.
    public var featureDim: Dim? { featureAxis.map { dims[$0] } }
    /// The feature dim, or the sparse dim of sparse data (RETURNN's `feature_dim_or_sparse_dim`).
    public var featureOrSparseDim: Dim? { sparseDim ?? featureDim }

    /// True when the template has this dim.
    public func contains(_ dim: Dim) -> Bool { dims.contains(dim) }

    /// A copy with the dim at `axis` removed (explicit feature axis adjusted).
    public func removing(axis: Int) -> TensorTemplate {
        var copy = self
        copy.dims.remove(at: axis)
        if let f = explicitFeatureAxis {
            copy.explicitFeatureAxis = f == axis ? nil : (f > axis ? f - 1 : f)
        }
        if let t = explicitTimeAxis {
            copy.explicitTimeAxis = t == axis ? nil : (t > axis ? t - 1 : t)
        }
        return copy
    }

    /// A copy without `dim` (if present).
    public func removing(_ dim: Dim) -> TensorTemplate {
        guard let axis = dims.firstIndex(of: dim) else { return self }
        return removing(axis: axis)
    }

    /// A copy with `dim` inserted at `axis`.
    public func inserting(_ dim: Dim, at axis: Int) -> TensorTemplate {
        var copy = self
        let axis = max(0, min(axis, dims.count))
        copy.dims.insert(dim, at: axis)
        if let f = explicitFeatureAxis, f >= axis { copy.explicitFeatureAxis = f + 1 }
        if let t = explicitTimeAxis, t >= axis { copy.explicitTimeAxis = t + 1 }
        return copy
    }

    /// A copy with the dim at `axis` replaced.
    public func replacing(axis: Int, with dim: Dim) -> TensorTemplate {
        var copy = self
        copy.dims[axis] = dim
        return copy
    }

    /// A copy with every occurrence of `old` replaced by `new`.
    public func replacing(_ old: Dim, with new: Dim) -> TensorTemplate {
        var copy = self
        copy.dims = dims.map { $0 == old ? new : $0 }
        return copy
    }

    /// A copy with `dim` moved to axis 0 (time-major layout).
    public func moving(_ dim: Dim, to axis: Int) -> TensorTemplate {
        guard let from = dims.firstIndex(of: dim) else { return self }
        let feature = featureDim
        var copy = self
        copy.dims.remove(at: from)
        copy.dims.insert(dim, at: min(axis, copy.dims.count))
        if explicitFeatureAxis != nil, let feature { copy.explicitFeatureAxis = copy.dims.firstIndex(of: feature) }
        if let t = explicitTimeAxis, t < dims.count { copy.explicitTimeAxis = copy.dims.firstIndex(of: dims[t]) }
        return copy
    }

    /// RETURNN-like notation: `[B,T|'time'[B],F|'lin:feature-dense'(3)]`, with dtype and sparsity when notable.
    public var description: String {
        let feature = featureAxis
        let parts = dims.enumerated().map { (i, dim) -> String in
            switch dim.kind {
            case .batch: return "B"
            default:
                let size = dim.size.map { "(\($0))" } ?? "[B]"
                let prefix = i == feature ? "F|" : (dim.kind == .spatial && dim.isDynamic ? "T|" : "")
                return "\(prefix)'\(dim.name)'\(size)"
            }
        }
        var text = "[" + parts.joined(separator: ",") + "]"
        if dtype != "float32" { text += " \(dtype)" }
        if let sparseDim { text += " sparse:'\(sparseDim.name)'(\(sparseDim.size.map(String.init) ?? "?"))" }
        return text
    }
}
