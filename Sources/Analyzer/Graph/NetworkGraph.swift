import NetConfig

/// Identifies one layer in a `NetworkGraph` (nested layers and masked units included).
public struct LayerID: Hashable, Comparable, Sendable {
    /// The index into `NetworkGraph.layers`.
    public let index: Int
    public static func < (a: LayerID, b: LayerID) -> Bool { a.index < b.index }
}

/// Identifies one network dict (a scope of layer names) in a `NetworkGraph`.
public struct ScopeID: Hashable, Comparable, Sendable {
    /// The index into `NetworkGraph.scopes`.
    public let index: Int
    public static func < (a: ScopeID, b: ScopeID) -> Bool { a.index < b.index }
}

/// A network dict in the graph: the root, a rec unit or a subnetwork.
public struct GraphScope: Sendable {
    /// This scope's ID.
    public let id: ScopeID
    /// The kind of network dict.
    public let kind: NetworkKind
    /// The layer that owns this dict (nil for the root).
    public let owner: LayerID?
    /// The enclosing scope (nil for the root).
    public let parent: ScopeID?
    /// The effective layers of the dict, by name (the last definition of a duplicated name).
    public var layerByName: [String: LayerID]
    /// All layers of the dict in source order (duplicates included).
    public var layers: [LayerID]
    /// The network IR.
    public let network: Network
}

/// How a layer sits in the graph.
public enum LayerRole: Sendable, Hashable {
    /// An ordinary entry of a network dict.
    case entry
    /// The `unit` of a masked_computation (built under the masked layer's name).
    case maskedUnit(of: LayerID)
    /// A `true_layer` / `false_layer` dict of a `cond` layer.
    case condBranch(of: LayerID)
}

/// One layer in the graph.
///
/// The IR layer and the path live in a shared box: analyses copy `GraphLayer` values constantly, and a copy
/// then costs one reference count instead of one per string and array of the layer.
public struct GraphLayer: Sendable {
    /// This layer's ID.
    public let id: LayerID
    private let storage: Storage
    /// The network dict whose names this layer's references resolve in.
    public let scope: ScopeID
    /// How the layer sits in its scope.
    public let role: LayerRole
    /// The network dict nested in this layer (rec unit or subnetwork), if any.
    public var childScope: ScopeID?
    /// The masked unit of a masked_computation, if any.
    public var maskedUnit: LayerID?
    /// The effective definition: false for an earlier definition of a duplicated name (or inside one).
    public var isEffective: Bool
    /// True when the layer or a layer containing it has a name starting with `#` (RETURNN skips those).
    public var isInsideIgnored: Bool

    private final class Storage: Sendable {
        let layer: Layer
        let namePath: [String]
        let pathString: String

        init(layer: Layer, namePath: [String]) {
            self.layer = layer
            self.namePath = namePath
            self.pathString = namePath.joined(separator: "/")
        }
    }

    /// Creates a graph layer.
    public init(
        id: LayerID, layer: Layer, scope: ScopeID, role: LayerRole, namePath: [String], childScope: ScopeID? = nil,
        maskedUnit: LayerID? = nil, isEffective: Bool, isInsideIgnored: Bool
    ) {
        self.id = id
        self.storage = Storage(layer: layer, namePath: namePath)
        self.scope = scope
        self.role = role
        self.childScope = childScope
        self.maskedUnit = maskedUnit
        self.isEffective = isEffective
        self.isInsideIgnored = isInsideIgnored
    }

    /// The IR layer.
    public var layer: Layer { _read { yield storage.layer } }
    /// Names from the root to this layer (`["output", "masked"]`; a masked unit ends in `"[unit]"`).
    public var namePath: [String] { _read { yield storage.namePath } }
    /// True for layers RETURNN considers at all: effective definitions outside `#…` layers.
    public var isActive: Bool { isEffective && !isInsideIgnored && !layer.isIgnored }

    /// The layer name.
    public var name: String { layer.name }
    /// The layer class.
    public var className: String? { layer.className }
    /// The path joined with `/`.
    public var pathString: String { storage.pathString }
}

/// All layers of a config, flattened, with every reference resolved the way RETURNN resolves it.
public struct NetworkGraph: Sendable {
    /// The config this graph was built from.
    public let config: NetworkConfig
    /// All layers, in a deterministic order (depth-first, source order).
    public private(set) var layers: [GraphLayer] = []
    /// All scopes; `scopes[0]` is the root network.
    public private(set) var scopes: [GraphScope] = []
    /// Resolved references per layer, parallel to `layer.references`.
    public private(set) var resolved: [[ResolvedRef]] = []
    /// The data keys that exist: declared extern data plus keys registered by `register_as_extern_data`;
    /// nil when extern data is undeclared (a bare network), so data keys cannot be checked.
    public private(set) var knownDataKeys: Set<String>?
    /// Per layer, its references with their targets (parallel to `layer.references`), and the `from` ones.
    private var referencePairs: [[(ref: LayerRef, target: ResolvedRef)]] = []
    private var sourcePairs: [[(ref: LayerRef, target: ResolvedRef)]] = []
    /// Per layer, every (layer, reference) of another layer that points at it, in layer and reference order.
    private var referrerIndex: [[(layer: LayerID, ref: LayerRef)]] = []

    /// The root scope.
    public var root: ScopeID { ScopeID(index: 0) }

    /// Builds the graph and resolves every reference.
    public init(config: NetworkConfig) {
        self.config = config
        _ = addScope(config.network, kind: .root, owner: nil, parent: nil, namePrefix: [], inherited: (true, false))
        knownDataKeys = Self.dataKeys(config: config, layers: layers)
        resolved = layers.map { node in node.layer.references.map { resolve($0, from: node.id) } }
        // Built with labels directly: converting an unlabelled tuple array casts it element by element at run time.
        referencePairs = layers.indices.map { index in
            zip(layers[index].layer.references, resolved[index]).map { (ref: $0, target: $1) }
        }
        sourcePairs = referencePairs.map { pairs in pairs.filter { $0.ref.option == "from" } }
        var referrers = Array(repeating: [(layer: LayerID, ref: LayerRef)](), count: layers.count)
        for other in layers {
            for (ref, target) in zip(other.layer.references, resolved[other.id.index]) {
                for t in target.readLayers where t != other.id { referrers[t.index].append((other.id, ref)) }
            }
        }
        referrerIndex = referrers
    }

    /// Every (layer, reference) of another layer that points at `id` (directly, through `prev:`, or as the root
    /// or target of a sub-layer path), in layer order.
    public func referrers(of id: LayerID) -> [(layer: LayerID, ref: LayerRef)] {
        referrerIndex[id.index]
    }

    /// The layer with an ID.
    public subscript(id: LayerID) -> GraphLayer { _read { yield layers[id.index] } }

    /// The scope with an ID.
    public subscript(scope id: ScopeID) -> GraphScope { _read { yield scopes[id.index] } }

    /// The resolved references of a layer, parallel to its `layer.references`.
    public func references(of id: LayerID) -> [(ref: LayerRef, target: ResolvedRef)] {
        referencePairs[id.index]
    }

    /// The resolved `from` references of a layer, in order.
    public func sources(of id: LayerID) -> [(ref: LayerRef, target: ResolvedRef)] {
        sourcePairs[id.index]
    }

    /// The resolved reference of one option (e.g. `mask`), if the layer has one.
    public func reference(of id: LayerID, option: String) -> (ref: LayerRef, target: ResolvedRef)? {
        references(of: id).last { $0.ref.option == option }
    }

    // MARK: - Building

    private mutating func addScope(
        _ network: Network, kind: NetworkKind, owner: LayerID?, parent: ScopeID?, namePrefix: [String],
        inherited: (effective: Bool, ignored: Bool)
    ) -> ScopeID {
        let id = ScopeID(index: scopes.count)
        scopes.append(GraphScope(id: id, kind: kind, owner: owner, parent: parent, layerByName: [:], layers: [], network: network))
        // The name index is the network's own, with positions mapped to IDs (no second hashing of every name).
        var isLastDefinition = [Bool](repeating: false, count: network.layers.count)
        for position in network.indexByName.values { isLastDefinition[position] = true }
        var entryIDs: [LayerID] = []
        entryIDs.reserveCapacity(network.layers.count)
        for index in network.layers.indices {
            let layerID = addLayer(
                network.layers[index], scope: id, role: .entry, namePath: namePrefix + [network.layers[index].name],
                isEffective: isLastDefinition[index] && inherited.effective, isInsideIgnored: inherited.ignored)
            entryIDs.append(layerID)
        }
        scopes[id.index].layers = entryIDs
        scopes[id.index].layerByName = network.indexByName.mapValues { entryIDs[$0] }
        return id
    }

    private mutating func addLayer(
        _ layer: Layer, scope: ScopeID, role: LayerRole, namePath: [String], isEffective: Bool, isInsideIgnored: Bool
    ) -> LayerID {
        let id = LayerID(index: layers.count)
        layers.append(
            GraphLayer(
                id: id, layer: layer, scope: scope, role: role, namePath: namePath, childScope: nil, maskedUnit: nil,
                isEffective: isEffective, isInsideIgnored: isInsideIgnored))
        let childInherited = (effective: isEffective, ignored: isInsideIgnored || layer.isIgnored)
        switch layer.children {
        case .recUnit(let unit):
            layers[id.index].childScope = addScope(unit, kind: .recUnit, owner: id, parent: scope, namePrefix: namePath, inherited: childInherited)
        case .subnetwork(let sub):
            layers[id.index].childScope = addScope(sub, kind: .subnetwork, owner: id, parent: scope, namePrefix: namePath, inherited: childInherited)
        case .maskedUnit(let unit):
            let unitID = addLayer(
                unit, scope: scope, role: .maskedUnit(of: id), namePath: namePath + ["[unit]"], isEffective: isEffective,
                isInsideIgnored: childInherited.ignored)
            layers[id.index].maskedUnit = unitID
        case .condBranches(let trueLayer, let falseLayer):
            for (branch, key) in [(trueLayer, "true_layer"), (falseLayer, "false_layer")] {
                if let branch {
                    _ = addLayer(
                        branch, scope: scope, role: .condBranch(of: id), namePath: namePath + [key], isEffective: isEffective,
                        isInsideIgnored: childInherited.ignored)
                }
            }
        case .none, .builtinUnit:
            break
        }
        return id
    }
}
