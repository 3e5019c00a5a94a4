/// One layer of a network dict: `name: {"class": …, "from": …, …}`, with every part pointing at its source.
public struct Layer: Sendable {
    /// The layer name (the key in its network dict).
    public var name: String
    /// The key node's byte range.
    public var nameSpan: Range<Int>
    /// The layer dict (the value). Not necessarily a mapping: a malformed layer keeps its node.
    public var node: ConfigNode
    /// The layer class (`class` option) if it is a string.
    public var className: String?
    /// The `class` value node, if present.
    public var classNode: ConfigNode?
    /// The layer's inputs in order: `from` (a string or a list; `"none"` dropped), or the default
    /// (`data`, or nothing for classes such as `constant` or `masked_computation`). For `concat`, the
    /// layer names of its `(layer, axis)` pairs.
    public var sources: [LayerRef]
    /// True when `from` is written in the dict (false: the default applies).
    public var hasExplicitFrom: Bool
    /// Every layer reference in the layer's options, `from` included, in option order.
    public var references: [LayerRef]
    /// Names listed in `collocate_with` (same network; not dependencies).
    public var collocateWith: [String]
    /// The `target` option's entries (data keys, or `layer:x`, which is also in `references`).
    public var targets: [String]
    /// Nested networks or layers (rec unit, subnetwork, masked unit, cond branches).
    public var children: LayerChildren
    /// Options whose value has the wrong type for what RETURNN expects (e.g. a number in `from`).
    public var optionProblems: [OptionProblem]

    /// The value of an option; with duplicated keys the last one, as in a Python dict.
    public func option(_ key: String) -> ConfigNode? { node[key] }

    /// The entry (key and value) of an option.
    public func optionEntry(_ key: String) -> ConfigEntry? { node.entry(key) }

    /// True for names that RETURNN skips (`#…`).
    public var isIgnored: Bool { name.utf8.first == UInt8(ascii: "#") }

    /// True when the layer dict is a mapping (a layer written as a string or list is malformed).
    public var isMapping: Bool { node.entries != nil }

    /// A boolean option, if set to a boolean.
    public func flag(_ key: String) -> Bool? { option(key)?.boolValue }

    /// The byte range from the layer's name to the end of its dict.
    public var span: Range<Int> { nameSpan.lowerBound..<max(nameSpan.upperBound, node.span.upperBound) }
}

/// The networks or layers nested in a layer.
public indirect enum LayerChildren: Sendable {
    /// No nested network.
    case none
    /// A `rec` layer whose `unit` is a network dict.
    case recUnit(Network)
    /// A `rec` (or `rnn_cell`) layer whose `unit` is a string such as `nativelstm2`.
    case builtinUnit(String)
    /// A `subnetwork` layer's `subnetwork` dict.
    case subnetwork(Network)
    /// A `masked_computation`'s `unit`: a layer dict built under the masked layer's own name.
    case maskedUnit(Layer)
    /// A `cond` layer's `true_layer`/`false_layer` dicts (a string there is a reference instead).
    case condBranches(trueLayer: Layer?, falseLayer: Layer?)

    /// The nested network, for rec units and subnetworks.
    public var network: Network? {
        switch self {
        case .recUnit(let n), .subnetwork(let n): return n
        default: return nil
        }
    }
}

/// An option whose value does not have the type RETURNN needs.
public struct OptionProblem: Sendable, Hashable {
    /// The option name.
    public var option: String
    /// What is wrong, lowercase (e.g. "expected a layer name, found an integer").
    public var message: String
    /// The offending value's byte range.
    public var span: Range<Int>
}
