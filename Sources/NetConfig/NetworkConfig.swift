/// A RETURNN config (or bare network dict) read into the IR: the network, its inputs and other settings.
public struct NetworkConfig: Sendable {
    /// The parsed file the IR points into.
    public var document: ParsedDocument
    /// True when the file is a bare network dict (layer name → layer dict) rather than a config.
    public var isBareNetwork: Bool
    /// The top-level network.
    public var network: Network
    /// The declared inputs.
    public var externData: ExternData
    /// Top-level config entries other than `network` (e.g. `optimize_move_layers_out`, `behavior_version`).
    public var settings: [ConfigEntry]
    /// Every `$dim` marker in the file, in source order (same description = same dim).
    public var dimDeclarations: [DimDeclaration]
    /// Problems with config-level values (e.g. an `extern_data` entry that is not a mapping).
    public var configProblems: [OptionProblem]
    /// The number of layers in all networks, nested ones included.
    public var layerCount: Int

    /// A top-level setting (last definition wins).
    public func setting(_ key: String) -> ConfigNode? {
        settings.last { $0.key.stringValue == key }?.value
    }

    /// Reads a file: parse, then build the IR.
    public static func load(
        _ source: SourceText, format: SourceFormat? = nil, limits: ParseLimits = .default
    ) throws(ConfigError) -> NetworkConfig {
        let document = try ConfigParser.parse(source, format: format ?? .forPath(source.path), limits: limits)
        return try build(from: document, limits: limits)
    }

    /// Builds the IR from a parsed document.
    ///
    /// - Throws: `ConfigError` when the file is not a config at all (top level not a mapping, `network` not a
    ///   mapping, more layers than `limits.maxLayers`). Smaller problems become `OptionProblem`s.
    public static func build(from document: ParsedDocument, limits: ParseLimits = .default) throws(ConfigError)
        -> NetworkConfig
    {
        var builder = NetworkBuilder(limits: limits)
        return try builder.build(document)
    }
}

/// Builds `NetworkConfig` from a value tree.
struct NetworkBuilder {
    let limits: ParseLimits
    var layerCount = 0
    var configProblems: [OptionProblem] = []

    init(limits: ParseLimits) {
        self.limits = limits
    }

    static let configKeys: Set<String> = ["extern_data", "num_inputs", "num_outputs"]

    mutating func build(_ document: ParsedDocument) throws(ConfigError) -> NetworkConfig {
        let root = document.root
        guard let rootEntries = root.entries else {
            throw ConfigError(
                "expected a mapping at the top level (a RETURNN config or a network dict), found \(root.kindDescription)",
                at: root.span.lowerBound)
        }
        let networkEntry = root.entry("network")
        let isConfig =
            networkEntry != nil
            || rootEntries.contains { Self.configKeys.contains($0.key.stringValue ?? "") }
        let networkNode: ConfigNode
        var settings: [ConfigEntry] = []
        if isConfig {
            guard let entry = networkEntry else {
                throw ConfigError("config has no 'network' entry", at: root.span.lowerBound)
            }
            guard entry.value.entries != nil else {
                throw ConfigError(
                    "'network' must be a mapping of layer names to layer dicts, found \(entry.value.kindDescription)",
                    at: entry.value.span.lowerBound)
            }
            networkNode = entry.value
            settings = rootEntries.filter { $0.key.stringValue != "network" }
        } else {
            networkNode = root
        }
        let network = try buildNetwork(networkNode, kind: .root, scope: [])
        let defaultInput = settings.last { $0.key.stringValue == "default_input" }?.value.stringValue ?? "data"
        let externData = buildExternData(settings: settings, isConfig: isConfig, defaultInput: defaultInput)
        var dims: [DimDeclaration] = []
        Self.collectDimMarkers(root, into: &dims)
        return NetworkConfig(
            document: document, isBareNetwork: !isConfig, network: network, externData: externData,
            settings: settings, dimDeclarations: dims, configProblems: configProblems, layerCount: layerCount)
    }

    // MARK: - Networks and layers

    mutating func buildNetwork(_ node: ConfigNode, kind: NetworkKind, scope: [String]) throws(ConfigError) -> Network {
        var layers: [Layer] = []
        for entry in node.entries ?? [] {
            let name = entry.key.stringValue ?? Self.scalarText(entry.key)
            layers.append(try buildLayer(name: name, nameSpan: entry.key.span, node: entry.value, scope: scope))
        }
        return Network(kind: kind, layers: layers, node: node, scope: scope)
    }

    mutating func buildLayer(name: String, nameSpan: Range<Int>, node: ConfigNode, scope: [String]) throws(ConfigError)
        -> Layer
    {
        layerCount += 1
        if layerCount > limits.maxLayers {
            throw ConfigError("more than \(limits.maxLayers) layers (--max-layers)", at: nameSpan.lowerBound)
        }
        let classNode = node["class"]
        let className = classNode?.stringValue
        var layer = Layer(
            name: name, nameSpan: nameSpan, node: node, className: className, classNode: classNode, sources: [],
            hasExplicitFrom: false, references: [], collocateWith: [], targets: [], children: .none,
            optionProblems: [])
        guard node.entries != nil else { return layer }

        // References, `from` first.
        for option in LayerSyntax.referenceOptions(forClass: className) {
            guard let entry = node.entry(option) else { continue }
            let value = entry.value
            switch option {
            case "from":
                layer.hasExplicitFrom = true
                layer.sources = sourceRefs(value, className: className, problems: &layer.optionProblems)
                layer.references += layer.sources
            case "initial_output":
                if let text = value.stringValue, !LayerSyntax.initialOutputKeywords.contains(text) {
                    layer.references.append(LayerRef(parsing: text, span: value.span, option: option))
                }
            case "extra_deps":
                layer.references += nameList(value, option: option, problems: &layer.optionProblems)
            default:
                if let text = value.stringValue {
                    layer.references.append(LayerRef(parsing: text, span: value.span, option: option))
                } else if LayerSyntax.requiredReferenceOptions.contains(option), value.marker == nil, !value.isNull {
                    layer.optionProblems.append(
                        OptionProblem(
                            option: option, message: "expected a layer name, found \(value.kindDescription)",
                            span: value.span))
                }
            }
        }
        if !layer.hasExplicitFrom {
            if let className, LayerSyntax.classesWithoutDefaultSource.contains(className) {
                layer.sources = []
            } else {
                let implicit = LayerRef(parsing: "data", span: nameSpan, option: "from")
                layer.sources = [implicit]
                layer.references.insert(implicit, at: 0)
            }
        }

        // Targets.
        if let target = node["target"] {
            let texts = target.stringValue.map { [$0] } ?? (target.elements ?? []).compactMap(\.stringValue)
            layer.targets = texts
            for element in target.stringValue != nil ? [target] : (target.elements ?? []) {
                if let text = element.stringValue, text.hasPrefix("layer:") {
                    layer.references.append(LayerRef(parsing: String(text.dropFirst(6)), span: element.span, option: "target"))
                }
            }
        }

        // collocate_with.
        if let collocate = node["collocate_with"] {
            layer.collocateWith = collocate.stringValue.map { [$0] } ?? (collocate.elements ?? []).compactMap(\.stringValue)
        }

        // Nested networks.
        let childScope = scope + [name]
        switch className {
        case "rec", "rnn_cell":
            if let unit = node["unit"] {
                if let text = unit.stringValue {
                    layer.children = .builtinUnit(text)
                } else if unit.entries != nil, className == "rec" {
                    layer.children = .recUnit(try buildNetwork(unit, kind: .recUnit, scope: childScope))
                }
            }
        case "subnetwork":
            if let sub = node["subnetwork"], sub.entries != nil {
                layer.children = .subnetwork(try buildNetwork(sub, kind: .subnetwork, scope: childScope))
            }
        case "masked_computation":
            if let unitEntry = node.entry("unit"), unitEntry.value.entries != nil {
                layerCount -= 1  // the unit is part of the masked layer, not a layer of its own
                let unit = try buildLayer(name: name, nameSpan: unitEntry.key.span, node: unitEntry.value, scope: childScope)
                layer.children = .maskedUnit(unit)
            }
        case "cond":
            var branches: [Layer?] = [nil, nil]
            for (i, key) in ["true_layer", "false_layer"].enumerated() {
                if let entry = node.entry(key), entry.value.entries != nil {
                    branches[i] = try buildLayer(name: "\(name)/\(key)", nameSpan: entry.key.span, node: entry.value, scope: childScope)
                }
            }
            if branches[0] != nil || branches[1] != nil {
                layer.children = .condBranches(trueLayer: branches[0], falseLayer: branches[1])
            }
        default:
            break
        }
        return layer
    }

    /// The layer references of a `from` value.
    func sourceRefs(_ value: ConfigNode, className: String?, problems: inout [OptionProblem]) -> [LayerRef] {
        if let text = value.stringValue {
            return text == "none" ? [] : [LayerRef(parsing: text, span: value.span, option: "from")]
        }
        guard let elements = value.elements else {
            if !value.isNull {
                problems.append(
                    OptionProblem(
                        option: "from", message: "expected a layer name or a list of layer names, found \(value.kindDescription)",
                        span: value.span))
            }
            return []
        }
        var refs: [LayerRef] = []
        for element in elements {
            if let text = element.stringValue {
                if text != "none" { refs.append(LayerRef(parsing: text, span: element.span, option: "from")) }
            } else if className == "concat", let pair = element.elements, let first = pair.first,
                let text = first.stringValue
            {
                refs.append(LayerRef(parsing: text, span: first.span, option: "from"))
            } else {
                problems.append(
                    OptionProblem(
                        option: "from", message: "expected a layer name, found \(element.kindDescription)", span: element.span))
            }
        }
        return refs
    }

    /// A string or a list of strings as references.
    func nameList(_ value: ConfigNode, option: String, problems: inout [OptionProblem]) -> [LayerRef] {
        if let text = value.stringValue { return [LayerRef(parsing: text, span: value.span, option: option)] }
        var refs: [LayerRef] = []
        for element in value.elements ?? [] {
            if let text = element.stringValue {
                refs.append(LayerRef(parsing: text, span: element.span, option: option))
            } else {
                problems.append(
                    OptionProblem(option: option, message: "expected a layer name, found \(element.kindDescription)", span: element.span))
            }
        }
        return refs
    }

    // MARK: - Extern data

    mutating func buildExternData(settings: [ConfigEntry], isConfig: Bool, defaultInput: String) -> ExternData {
        func setting(_ key: String) -> ConfigEntry? { settings.last { $0.key.stringValue == key } }
        if let externSetting = setting("extern_data") {
            guard let entries = externSetting.value.entries else {
                configProblems.append(
                    OptionProblem(
                        option: "extern_data", message: "expected a mapping of data keys, found \(externSetting.value.kindDescription)",
                        span: externSetting.value.span))
                return ExternData(entries: [], origin: .externData, defaultInputKey: defaultInput)
            }
            var result: [ExternDataEntry] = []
            for entry in entries {
                let key = entry.key.stringValue ?? Self.scalarText(entry.key)
                if let parsed = externEntry(key: key, keySpan: entry.key.span, node: entry.value) {
                    result.append(parsed)
                }
            }
            return ExternData(entries: result, origin: .externData, defaultInputKey: defaultInput)
        }
        guard isConfig, setting("num_inputs") != nil || setting("num_outputs") != nil else {
            return ExternData(entries: [], origin: .undeclared, defaultInputKey: defaultInput)
        }
        // Legacy form (RETURNN's _num_inputs_outputs_from_config and convert_data_dims).
        var result: [ExternDataEntry] = []
        let targetKey = setting("target")?.value.stringValue ?? "classes"
        if let outputs = setting("num_outputs") {
            if let entries = outputs.value.entries {
                for entry in entries {
                    let key = entry.key.stringValue ?? Self.scalarText(entry.key)
                    if let number = entry.value.intValue {
                        result.append(legacyEntry(key: key, keySpan: entry.key.span, node: entry.value, dim: number, ndim: key == "data" ? 2 : 1))
                    } else if let parsed = externEntry(key: key, keySpan: entry.key.span, node: entry.value) {
                        result.append(parsed)
                    }
                }
            } else if let number = outputs.value.intValue {
                result.append(legacyEntry(key: targetKey, keySpan: outputs.key.span, node: outputs.value, dim: number, ndim: 1))
            } else if !outputs.value.isNull {
                configProblems.append(
                    OptionProblem(
                        option: "num_outputs", message: "expected an integer or a mapping, found \(outputs.value.kindDescription)",
                        span: outputs.value.span))
            }
        }
        if !result.contains(where: { $0.key == defaultInput }), let inputs = setting("num_inputs") {
            if let number = inputs.value.intValue {
                let sparseInput = setting("sparse_input")?.value.boolValue ?? false
                result.append(legacyEntry(key: defaultInput, keySpan: inputs.key.span, node: inputs.value, dim: number, ndim: sparseInput ? 1 : 2))
            } else if !inputs.value.isNull {
                configProblems.append(
                    OptionProblem(option: "num_inputs", message: "expected an integer, found \(inputs.value.kindDescription)", span: inputs.value.span))
            }
        }
        return ExternData(entries: result, origin: .numInputsOutputs, defaultInputKey: defaultInput)
    }

    /// An `[dim, ndim]` entry: ndim 1 is sparse `[B,T]`, 2 is dense `[B,T,dim]`, more adds spatial axes.
    func legacyEntry(key: String, keySpan: Range<Int>, node: ConfigNode, dim: Int, ndim: Int) -> ExternDataEntry {
        var entry = ExternDataEntry(key: key, keySpan: keySpan, node: node)
        entry.dim = dim
        if ndim <= 1 {
            entry.sparse = true
            entry.shape = [nil]
        } else {
            entry.shape = Array(repeating: nil, count: ndim - 1) + [dim]
        }
        return entry
    }

    mutating func externEntry(key: String, keySpan: Range<Int>, node: ConfigNode) -> ExternDataEntry? {
        if let pair = node.elements {
            guard pair.count == 2, let dim = pair[0].intValue, let ndim = pair[1].intValue, ndim >= 1 else {
                configProblems.append(
                    OptionProblem(option: key, message: "expected [dim, ndim] with ndim >= 1", span: node.span))
                return nil
            }
            return legacyEntry(key: key, keySpan: keySpan, node: node, dim: dim, ndim: ndim)
        }
        guard node.entries != nil else {
            configProblems.append(
                OptionProblem(option: key, message: "expected a mapping of data options, found \(node.kindDescription)", span: node.span))
            return nil
        }
        var entry = ExternDataEntry(key: key, keySpan: keySpan, node: node)
        if let dim = node["dim"] {
            entry.dim = dim.intValue
            entry.dimIsNone = dim.isNull
        }
        entry.sparse = node["sparse"]?.boolValue ?? false
        entry.dtype = node["dtype"]?.stringValue
        if let shape = node["shape"]?.elements {
            entry.shape = shape.map { $0.intValue }
        }
        for item in node["same_dim_tags_as"]?.entries ?? [] {
            entry.sameDimTagsAs.append((axis: item.key.stringValue ?? Self.scalarText(item.key), node: item.value))
        }
        entry.dimTags = node["dim_tags"]?.elements
        entry.availableForInference = node["available_for_inference"]?.boolValue
        entry.timeDimAxis = node["time_dim_axis"]
        entry.batchDimAxis = node["batch_dim_axis"]
        return entry
    }

    // MARK: - Helpers

    /// The `$dim` markers anywhere under `node`, in source order (recursion depth is bounded by
    /// `--max-nesting`).
    static func collectDimMarkers(_ node: ConfigNode, into result: inout [DimDeclaration]) {
        var found: [DimDeclaration] = []
        collectDimMarkers(in: node, appendingTo: &found)
        result = found.sorted { $0.span.lowerBound < $1.span.lowerBound }
    }

    private static func collectDimMarkers(in node: ConfigNode, appendingTo found: inout [DimDeclaration]) {
        switch node.value {
        case .mapping(let entries):
            if let first = entries.first, case .string(let key) = first.key.value, key == "$dim",
                case .dim(let declaration)? = node.marker
            {
                found.append(declaration)
            }
            for entry in entries where entry.value.isCollection { collectDimMarkers(in: entry.value, appendingTo: &found) }
        case .sequence(let items):
            for item in items where item.isCollection { collectDimMarkers(in: item, appendingTo: &found) }
        default:
            break
        }
    }

    static func scalarText(_ node: ConfigNode) -> String {
        switch node.value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .float(let d): return String(d)
        case .bool(let b): return b ? "True" : "False"
        case .null: return "None"
        default: return node.kindDescription
        }
    }
}
