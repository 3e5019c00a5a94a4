import NetConfig

/// What a `LayerRef` points at, resolved in its scope as RETURNN's `get_layer` would.
public enum ResolvedRef: Sendable, Hashable {
    /// A layer (the current frame when both are inside a loop).
    case layer(LayerID)
    /// `prev:x`: the layer's value at the previous step of its rec loop.
    case previous(LayerID)
    /// `x/y`: a sub-layer of `root`; `target` is the nested layer when the nested dict is known.
    case subLayer(root: LayerID, path: [String], target: LayerID?)
    /// `data` / `data:KEY` reaching the config's extern data.
    case externData(key: String)
    /// `data:source` inside a rec unit: the rec layer's input.
    case recInput(rec: LayerID)
    /// `data` inside a subnetwork: the subnetwork layer's input.
    case subnetworkInput(subnetwork: LayerID)
    /// `data` inside a masked_computation unit: the masked layer's source (masked frames outside a loop).
    case maskedInput(masked: LayerID)
    /// `:i` inside a rec unit.
    case stepIndex(rec: LayerID)
    /// The reference cannot be resolved.
    case unresolved(UnresolvedReason)

    /// The layer this reference depends on, if it is a layer in the graph (the root of a sub-layer path).
    public var layerID: LayerID? {
        switch self {
        case .layer(let id), .previous(let id): return id
        case .subLayer(let root, _, let target): return target ?? root
        default: return nil
        }
    }

    /// Every layer of the graph this reference reads: the layer, or a sub-layer path's root and nested target.
    public var readLayers: [LayerID] {
        switch self {
        case .layer(let id), .previous(let id): return [id]
        case .subLayer(let root, _, let target): return target.map { $0 == root ? [root] : [root, $0] } ?? [root]
        default: return []
        }
    }
}

/// Why a reference could not be resolved.
public enum UnresolvedReason: Sendable, Hashable {
    /// No layer of that name in the scope.
    case noSuchLayer(name: String, scope: ScopeID)
    /// A `base:` prefix with no parent network.
    case noParentNetwork
    /// `prev:` outside a rec unit.
    case previousOutsideRecUnit
    /// `:i` outside a rec unit.
    case stepIndexOutsideRecUnit
    /// `x/y` where `x` has a nested dict without `y`.
    case noSuchSubLayer(root: LayerID, name: String)
    /// `data:KEY` with a key that extern_data does not declare.
    case unknownDataKey(String)
    /// An extra-network reference (`extra.NAME:x`); the linter does not model extra networks.
    case extraNetwork
}

extension NetworkGraph {
    /// The data keys that exist: declared extern data plus keys registered by `register_as_extern_data`;
    /// nil when extern data is undeclared (a bare network), so data keys cannot be checked. Computed once
    /// per graph (`knownDataKeys`): every data reference looks them up.
    static func dataKeys(config: NetworkConfig, layers: [GraphLayer]) -> Set<String>? {
        if config.externData.origin == .undeclared { return nil }
        var keys = Set(config.externData.entries.map(\.key))
        for node in layers {
            if let key = node.layer.option("register_as_extern_data")?.stringValue { keys.insert(key) }
        }
        return keys
    }

    /// Resolves a reference written in layer `from`.
    public func resolve(_ ref: LayerRef, from id: LayerID) -> ResolvedRef {
        let origin = layers[id.index]
        var scope = origin.scope
        // `data` directly in a masked unit (non-subnetwork unit) is the masked source.
        var maskedBoundary: LayerID?
        if case .maskedUnit(let masked) = origin.role { maskedBoundary = masked }
        for _ in 0..<ref.baseLevels {
            maskedBoundary = nil
            let current = scopes[scope.index]
            guard let parent = current.parent else { return .unresolved(.noParentNetwork) }
            // Leaving a subnetwork that is the unit of a masked_computation lands in the masked layer's
            // extra net: `data` there is the masked source.
            if let owner = current.owner, case .maskedUnit(let masked) = layers[owner.index].role {
                maskedBoundary = masked
            }
            scope = parent
        }
        let scopeKind = scopes[scope.index].kind
        // `prev:x` needs a rec loop: the scope is a rec unit, or a subnetwork inside one (RETURNN's
        // GetLayer hands `prev:` on to the enclosing rec unit as `prev:sub/x`; RETURNN issue #698).
        if ref.isPrev, !isInsideRecUnit(scope) { return .unresolved(.previousOutsideRecUnit) }
        switch ref.target {
        case .extra:
            return .unresolved(.extraNetwork)
        case .stepIndex:
            guard scopeKind == .recUnit, let owner = scopes[scope.index].owner else {
                return .unresolved(.stepIndexOutsideRecUnit)
            }
            return .stepIndex(rec: owner)
        case .data(let key):
            if key == nil, let masked = maskedBoundary { return .maskedInput(masked: masked) }
            return resolveData(key: key, scope: scope)
        case .layer(let path):
            guard let name = path.first, let target = scopes[scope.index].layerByName[name] else {
                return .unresolved(.noSuchLayer(name: path.first ?? "", scope: scope))
            }
            if path.count == 1 {
                return ref.isPrev ? .previous(target) : .layer(target)
            }
            return resolveSubLayer(root: target, path: Array(path.dropFirst()))
        }
    }

    /// True for a rec unit, and for a subnetwork nested (through subnetworks only) in a rec unit.
    private func isInsideRecUnit(_ scope: ScopeID) -> Bool {
        var current = scopes[scope.index]
        while current.kind == .subnetwork, let parent = current.parent { current = scopes[parent.index] }
        return current.kind == .recUnit
    }

    /// Data keys that RETURNN creates on demand in every network (`TFNetwork.get_extern_data`).
    static let implicitDataKeys: Set<String> = ["seq_tag", "seq_idx"]

    private func resolveData(key: String?, scope: ScopeID) -> ResolvedRef {
        let current = scopes[scope.index]
        switch current.kind {
        case .root:
            let resolvedKey = key ?? config.externData.defaultInputKey
            if let known = knownDataKeys, !known.contains(resolvedKey), !Self.implicitDataKeys.contains(resolvedKey) {
                return .unresolved(.unknownDataKey(resolvedKey))
            }
            return .externData(key: resolvedKey)
        case .recUnit:
            if key == "source", let owner = current.owner { return .recInput(rec: owner) }
            return resolveData(key: key, scope: scopes[0].id)
        case .subnetwork:
            if key == nil, let owner = current.owner { return .subnetworkInput(subnetwork: owner) }
            guard let parent = current.parent else { return .unresolved(.noParentNetwork) }
            return resolveData(key: key, scope: parent)
        }
    }

    private func resolveSubLayer(root: LayerID, path: [String]) -> ResolvedRef {
        var current = root
        for (i, name) in path.enumerated() {
            let node = layers[current.index]
            let nested: ScopeID?
            if let child = node.childScope {
                nested = child
            } else if let unit = node.maskedUnit, let child = layers[unit.index].childScope {
                nested = child
            } else {
                nested = nil
            }
            guard let nested else {
                // A layer without a nested dict (e.g. `forced_align`'s `scores`): we cannot check the name.
                _ = i
                return .subLayer(root: root, path: path, target: nil)
            }
            guard let next = scopes[nested.index].layerByName[name] else {
                return .unresolved(.noSuchSubLayer(root: current, name: name))
            }
            current = next
        }
        return .subLayer(root: root, path: path, target: current)
    }
}
