/// The declared inputs of a network (`extern_data`, or the legacy `num_inputs`/`num_outputs`).
public struct ExternData: Sendable {
    /// Where the declarations came from.
    public enum Origin: String, Sendable, Hashable {
        /// The `extern_data` dict.
        case externData
        /// The legacy `num_inputs` / `num_outputs` keys.
        case numInputsOutputs
        /// Nothing is declared (a bare network file): keys are unknown.
        case undeclared
    }

    /// The entries in source order.
    public var entries: [ExternDataEntry]
    /// Where they came from.
    public var origin: Origin
    /// The key that `data` means (the config's `default_input`, else `data`).
    public var defaultInputKey: String

    /// Creates extern data.
    public init(entries: [ExternDataEntry], origin: Origin, defaultInputKey: String = "data") {
        self.entries = entries
        self.origin = origin
        self.defaultInputKey = defaultInputKey
    }

    /// The entry for a data key, if declared (the last one if declared twice).
    public func entry(_ key: String) -> ExternDataEntry? {
        entries.last { $0.key == key }
    }
}

/// One extern data key: `{"dim": 40, "sparse": false, "shape": [None, 40], …}` or `[dim, ndim]`.
public struct ExternDataEntry: Sendable {
    /// The data key (`data`, `classes`, …).
    public var key: String
    /// The key's byte range (or the `num_outputs`/`num_inputs` value for legacy entries).
    public var keySpan: Range<Int>
    /// The declaration node (a mapping, or a `[dim, ndim]` list, or an integer for `num_inputs`).
    public var node: ConfigNode
    /// `dim`: the feature dim, or the number of classes when sparse.
    public var dim: Int?
    /// True when `dim` is given but explicitly `None` (a dynamic feature dim).
    public var dimIsNone: Bool
    /// `sparse`.
    public var sparse: Bool
    /// `dtype`, if given.
    public var dtype: String?
    /// `shape` without the batch dim (nil entries = dynamic), if given.
    public var shape: [Int?]?
    /// `same_dim_tags_as`: axis name (`t`, `T`, …) → the dim it is declared as.
    public var sameDimTagsAs: [(axis: String, node: ConfigNode)]
    /// `dim_tags`, if given (Python-only; usually absent in JSON).
    public var dimTags: [ConfigNode]?
    /// `available_for_inference`, if given.
    public var availableForInference: Bool?
    /// `time_dim_axis`, if given (`null` means there is no time axis).
    public var timeDimAxis: ConfigNode?
    /// `batch_dim_axis`, if given.
    public var batchDimAxis: ConfigNode?

    /// Creates an entry with only a key and a node; the builder fills in the rest.
    public init(key: String, keySpan: Range<Int>, node: ConfigNode) {
        self.key = key
        self.keySpan = keySpan
        self.node = node
        self.dim = nil
        self.dimIsNone = false
        self.sparse = false
        self.dtype = nil
        self.shape = nil
        self.sameDimTagsAs = []
        self.dimTags = nil
        self.availableForInference = nil
        self.timeDimAxis = nil
        self.batchDimAxis = nil
    }
}
