import NetConfig

/// RETURNN's axis descriptions (`"T"`, `"F"`, `"spatial"`, `"dim:3"`, `"stag:name"`, lists, `$dim` markers…)
/// resolved against a template (`Tensor.get_axes_from_description`).
enum AxisSpec {
    /// The axes a description selects, in RETURNN's order (lists and letter combinations as written, duplicates
    /// dropped); nil when it cannot be resolved.
    static func axes(_ spec: ConfigNode, in t: TensorTemplate) -> [Int]? {
        if let items = spec.elements {
            var result: [Int] = []
            for item in items {
                guard let axes = axes(item, in: t) else { return nil }
                for a in axes where !result.contains(a) { result.append(a) }
            }
            return result
        }
        if case .dim(let declaration)? = spec.marker {
            let found = t.dims.indices.filter { t.dims[$0].name == declaration.description }
            return found.isEmpty ? nil : found
        }
        if let index = spec.intValue {
            let axis = index < 0 ? t.dims.count + index : index
            return t.dims.indices.contains(axis) ? [axis] : nil
        }
        guard let text = spec.stringValue else { return nil }
        return axes(text, in: t)
    }

    /// The single axis a description selects; nil when it selects none or several.
    static func axis(_ spec: ConfigNode, in t: TensorTemplate) -> Int? {
        guard let found = axes(spec, in: t), found.count == 1 else { return nil }
        return found[0]
    }

    /// RETURNN's `get_spatial_batch_axes`: not batch, and not the feature axis unless it is the time axis or
    /// dynamic.
    static func spatialAxes(_ t: TensorTemplate) -> [Int] {
        let feature = t.featureAxis
        let time = t.timeAxis
        return t.dims.indices.filter { t.dims[$0].kind != .batch && ($0 != feature || $0 == time || t.dims[$0].isDynamic) }
    }

    /// The axes whose dim name contains `name` (case-insensitive), as `get_axes_by_tag_name`.
    static func axes(byTagName name: String, in t: TensorTemplate, spatialOnly: Bool) -> [Int] {
        let needle = name.lowercased()
        let spatial = spatialAxes(t)
        return t.dims.indices.filter { i in
            guard t.dims[i].name.lowercased().contains(needle) else { return false }
            return !spatialOnly || spatial.contains(i) || t.dims[i].kind == .spatial
        }
    }

    /// `prefix:N` indexing into a list of axes (negative from the end); nil when out of range.
    private static func indexed(_ text: String, prefixes: [String], in list: [Int]) -> [Int]?? {
        for prefix in prefixes where text.hasPrefix(prefix + ":") {
            guard let index = Int(text.dropFirst(prefix.count + 1)) else { return .some(nil) }
            let i = index < 0 ? list.count + index : index
            return .some(list.indices.contains(i) ? [list[i]] : nil)
        }
        return nil
    }

    /// The axes a string description selects (`get_axes_from_description`), nil when it cannot be resolved.
    static func axes(_ text: String, in t: TensorTemplate) -> [Int]? {
        let nonBatch = t.dims.indices.filter { t.dims[$0].kind != .batch }
        let feature = t.featureAxis
        let time = t.timeAxis
        let lower = text.lowercased()
        switch lower {
        case "": return []
        case "b", "batch": return t.batchAxis.map { [$0] }
        case "t", "time": return time.map { [$0] }
        case "t?": return time.map { [$0] } ?? []
        case "f", "feature", "non_spatial": return feature.map { [$0] } ?? []
        case "spatial": return spatialAxes(t)
        case "spatial_except_time":
            guard let time else { return nil }
            return spatialAxes(t).filter { $0 != time }
        case "except_time": return nonBatch.filter { $0 != time }
        case "except_batch": return nonBatch
        case "*": return Array(t.dims.indices)
        case "dyn", "dynamic": return nonBatch.filter { t.dims[$0].isDynamic }
        case "static": return nonBatch.filter { !t.dims[$0].isDynamic }
        default: break
        }
        if let found = indexed(lower, prefixes: ["s", "spatial"], in: spatialAxes(t)) { return found }
        if let found = indexed(lower, prefixes: ["d", "dyn", "dynamic"], in: nonBatch.filter { t.dims[$0].isDynamic }) { return found }
        if let found = indexed(lower, prefixes: ["except_batch"], in: nonBatch) { return found }
        if let found = indexed(lower, prefixes: ["static"], in: nonBatch.filter { !t.dims[$0].isDynamic }) { return found }
        if lower.hasPrefix("dim:"), let size = Int(text.dropFirst(4)) {
            let found = t.dims.indices.filter { t.dims[$0].size == size && t.dims[$0].kind != .batch }
            return found.count == 1 ? found : nil
        }
        // Letter combinations such as "bt", "tf": each letter in order.
        if lower.allSatisfy({ "btf".contains($0) }) {
            var result: [Int] = []
            for letter in lower {
                guard let axes = axes(String(letter), in: t) else { return nil }
                for a in axes where !result.contains(a) { result.append(a) }
            }
            return result
        }
        if lower.hasPrefix("stag:") {
            let found = axes(byTagName: String(text.dropFirst(5)), in: t, spatialOnly: true)
            return found.count == 1 ? found : nil
        }
        if lower.hasPrefix("stag-single:") {
            let parts = text.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3, let index = Int(parts[1]) else { return nil }
            let found = axes(byTagName: parts[2], in: t, spatialOnly: true)
            let i = index < 0 ? found.count + index : index
            return found.indices.contains(i) ? [found[i]] : nil
        }
        if lower.hasPrefix("tag:") {
            let found = axes(byTagName: String(text.dropFirst(4)), in: t, spatialOnly: false)
            return found.count == 1 ? found : nil
        }
        return nil
    }
}
