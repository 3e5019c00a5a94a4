/// A Python object that JSON cannot carry, written as a marker mapping (`{"$dim": …}`, `{"$callable": …}`, …).
///
/// Markers are opaque to the linter except `$dim` (a dim tag declaration) and `$float` (a non-finite float).
public enum ConfigMarker: Sendable, Hashable {
    /// `{"$dim": description, "dimension": N|null, "kind": "batch"|"spatial"|"feature"}`: a `Dim`.
    case dim(DimDeclaration)
    /// `{"$callable": name}`: a Python function.
    case callable(String)
    /// `{"$call": name, "args": …, "kwargs": …}`: the result of calling something.
    case call(String)
    /// `{"$stub": "module.name"}`: an imported name.
    case stub(String)
    /// `{"$float": "inf"|"-inf"|"nan"}`: a non-finite float.
    case float(Double)
    /// A mapping whose first key starts with `$` but is none of the above.
    case unknown(String)
}

/// A dim declared by a `$dim` marker; within one file the same description means the same dim.
public struct DimDeclaration: Sendable, Hashable {
    /// The kinds a declared dim can have.
    public enum Kind: String, Sendable, Hashable, Codable {
        case batch, spatial, feature
    }

    /// The description (RETURNN's dim name), e.g. `time`.
    public var description: String
    /// The static size, or nil for a dynamic dim.
    public var dimension: Int?
    /// The kind (`spatial` when not given).
    public var kind: Kind
    /// Where the marker is written.
    public var span: Range<Int>

    /// Creates a declaration.
    public init(description: String, dimension: Int?, kind: Kind, span: Range<Int>) {
        self.description = description
        self.dimension = dimension
        self.kind = kind
        self.span = span
    }
}

extension ConfigNode {
    /// The marker object this node spells, if it is a mapping whose first key starts with `$`.
    public var marker: ConfigMarker? {
        guard case .mapping(let entries) = value, let first = entries.first,
            let key = first.key.stringValue, key.hasPrefix("$")
        else { return nil }
        let name = first.value.stringValue ?? ""
        switch key {
        case "$dim":
            var kind = DimDeclaration.Kind.spatial
            if let kindText = self["kind"]?.stringValue, let parsed = DimDeclaration.Kind(rawValue: kindText) {
                kind = parsed
            }
            return .dim(DimDeclaration(description: name, dimension: self["dimension"]?.intValue, kind: kind, span: span))
        case "$callable": return .callable(name)
        case "$call": return .call(name)
        case "$stub": return .stub(name)
        case "$float":
            switch name.lowercased() {
            case "inf", "+inf", "infinity": return .float(.infinity)
            case "-inf", "-infinity": return .float(-.infinity)
            case "nan": return .float(.nan)
            default: return .float(Double(name) ?? .nan)
            }
        default: return .unknown(key)
        }
    }

    /// True when this node is (or contains) an opaque Python object: a marker other than `$dim`/`$float`.
    public var containsOpaqueMarker: Bool {
        if let marker {
            switch marker {
            case .dim, .float: return false
            default: return true
            }
        }
        switch value {
        case .mapping(let entries): return entries.contains { $0.value.containsOpaqueMarker }
        case .sequence(let items): return items.contains { $0.containsOpaqueMarker }
        default: return false
        }
    }
}
