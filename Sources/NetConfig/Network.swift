/// What kind of dict a network is; name resolution differs between them.
public enum NetworkKind: String, Sendable, Hashable {
    /// The config's `network` (or a bare network file).
    case root
    /// A `rec` layer's `unit` dict: `prev:`, `:i` and `data:source` exist here.
    case recUnit
    /// A `subnetwork` layer's dict: `data` is the subnetwork's input.
    case subnetwork
}

/// An ordered network dict: layers in source order, with a name index.
public struct Network: Sendable {
    /// The kind of network.
    public var kind: NetworkKind
    /// Layers in source order; a duplicated name appears twice (the last definition is the effective one).
    public var layers: [Layer]
    /// The dict node.
    public var node: ConfigNode
    /// Names of the enclosing layers from the root (`["output"]` for the unit of rec layer `output`).
    public var scope: [String]
    /// The position in `layers` of each name's effective (last) definition.
    public private(set) var indexByName: [String: Int]

    /// Creates a network and indexes its layers by name (the last definition of a name wins).
    public init(kind: NetworkKind, layers: [Layer], node: ConfigNode, scope: [String]) {
        self.kind = kind
        self.layers = layers
        self.node = node
        self.scope = scope
        var index: [String: Int] = [:]
        index.reserveCapacity(layers.count)
        for i in layers.indices { index[layers[i].name] = i }
        self.indexByName = index
    }

    /// The effective layer with this name (the last definition), if any.
    public func layer(named name: String) -> Layer? {
        guard let i = indexByName[name] else { return nil }
        return layers[i]
    }

    /// The position in `layers` of the effective layer with this name.
    public func index(of name: String) -> Int? { indexByName[name] }

    /// The effective layers: one per name (the last definition), in source order of those definitions.
    public var effectiveLayers: [Layer] {
        layers.enumerated().filter { indexByName[$0.element.name] == $0.offset }.map(\.element)
    }
}
