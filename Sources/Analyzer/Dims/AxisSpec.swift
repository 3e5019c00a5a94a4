import NetConfig

/// RETURNN's axis descriptions (`"T"`, `"F"`, `"spatial"`, `"dim:3"`, `"stag:name"`, lists, `$dim` markers…)
/// resolved against a template (`Tensor.get_axes_from_description`).
enum AxisSpec {
    /// The axes a description selects, in ascending order; nil when it cannot be resolved.
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

    static func axes(_ text: String, in t: TensorTemplate) -> [Int]? {
        let nonBatch = t.dims.indices.filter { t.dims[$0].kind != .batch }
        let feature = t.featureAxis
        let time = t.timeAxis
        let lower = text.lowercased()
        switch lower {
        case "b", "batch": return t.batchAxis.map { [$0] }
        case "t", "time": return time.map { [$0] }
        case "t?": return time.map { [$0] } ?? []
        case "f", "feature": return feature.map { [$0] }
        case "spatial":
            return nonBatch.filter { $0 != feature }
        case "spatial_except_time":
            return nonBatch.filter { $0 != feature && $0 != time }
        case "except_time":
            return nonBatch.filter { $0 != time }
        case "except_batch", "*":
            return lower == "*" ? Array(t.dims.indices) : nonBatch
        case "dyn", "dynamic":
            return nonBatch.filter { t.dims[$0].isDynamic }
        case "static":
            return nonBatch.filter { !t.dims[$0].isDynamic }
        default:
            break
        }
        if lower.hasPrefix("dim:"), let size = Int(text.dropFirst(4)) {
            let found = nonBatch.filter { t.dims[$0].size == size }
            return found.count == 1 ? found : nil
        }
        if lower.hasPrefix("static:"), let index = Int(text.dropFirst(7)) {
            let statics = nonBatch.filter { !t.dims[$0].isDynamic }
            let i = index < 0 ? statics.count + index : index
            return statics.indices.contains(i) ? [statics[i]] : nil
        }
        if lower.hasPrefix("spatial:"), let index = Int(text.dropFirst(8)) {
            let spatial = nonBatch.filter { $0 != feature }
            let i = index < 0 ? spatial.count + index : index
            return spatial.indices.contains(i) ? [spatial[i]] : nil
        }
        if lower.hasPrefix("except_batch:"), let index = Int(text.dropFirst(13)) {
            let i = index < 0 ? nonBatch.count + index : index
            return nonBatch.indices.contains(i) ? [nonBatch[i]] : nil
        }
        if text.hasPrefix("stag:") || text.hasPrefix("tag:") {
            let name = String(text.drop { $0 != ":" }.dropFirst())
            let found = t.dims.indices.filter { t.dims[$0].name == name }
            return found.count == 1 ? found : nil
        }
        if text.hasPrefix("stag-single:") {
            let parts = text.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3, let index = Int(parts[1]) else { return nil }
            let found = t.dims.indices.filter { t.dims[$0].name == parts[2] }
            let i = index < 0 ? found.count + index : index
            return found.indices.contains(i) ? [found[i]] : nil
        }
        // Letter combinations such as "BT", "TF", "btf".
        if !lower.isEmpty, lower.allSatisfy({ "btf".contains($0) }) {
            var result: [Int] = []
            for letter in lower {
                guard let axes = axes(String(letter), in: t) else { return nil }
                result += axes
            }
            return result.sorted()
        }
        return nil
    }
}
