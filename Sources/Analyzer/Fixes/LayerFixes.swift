import NetConfig

/// Shared pieces of the layer rewrites: finding a layer's entry, re-pointing references, unique names.
enum LayerEdits {
    /// The mapping entry that defines a layer (name and dict), and the mapping it is in.
    static func entry(of id: LayerID, in analysis: Analysis) -> (entry: ConfigEntry, mapping: ConfigNode)? {
        let node = analysis.graph[id]
        guard node.role == .entry else { return nil }
        let mapping = analysis.graph[scope: node.scope].network.node
        guard let entry = mapping.entries?.last(where: { $0.key.span == node.layer.nameSpan }) else { return nil }
        return (entry, mapping)
    }

    /// Replaces the text of a reference string (`from`, `mask`, …) keeping its quotes.
    static func replaceReference(_ ref: LayerRef, with text: String, editor: ConfigEditor) -> TextEdit? {
        guard ref.span.lowerBound < ref.span.upperBound, ref.span.upperBound <= editor.bytes.count else { return nil }
        let first = editor.bytes[ref.span.lowerBound]
        let style: NodeStyle
        switch first {
        case UInt8(ascii: "\""): style = .doubleQuoted
        case UInt8(ascii: "'"): style = .singleQuoted
        default: style = editor.document.format == .json ? .json : .plain
        }
        return TextEdit(range: ref.span, replacement: editor.renderString(text, like: style))
    }

    /// How a consumer's reference to `old` reads when it should point at what `replacement` (written in the
    /// scope of `old`) points at; nil when it cannot be written (e.g. `prev:` of a `prev:` reference).
    static func redirect(_ consumerRef: LayerRef, from old: String, to replacement: LayerRef) -> String? {
        let plainReplacement = replacement.baseLevels == 0 && !replacement.isPrev
        switch replacement.target {
        case .layer(let path) where plainReplacement && path.count == 1:
            // Same scope as the old layer: swap the name, keep every prefix and path of the consumer.
            return replacingLastComponent(of: consumerRef.raw, old: old, new: path[0])
        default:
            // Anything else can only replace a plain same-scope reference.
            guard consumerRef.raw == old || consumerRef.raw == "prev:\(old)" else { return nil }
            if consumerRef.isPrev {
                guard !replacement.isPrev, replacement.baseLevels == 0, case .layer(let path) = replacement.target, path.count == 1 else {
                    return nil
                }
                return "prev:\(path[0])"
            }
            return replacement.raw
        }
    }

    /// `raw` with its last path component `old` (after `base:`/`prev:` prefixes and `x/` paths) set to `new`.
    static func replacingLastComponent(of raw: String, old: String, new: String) -> String? {
        var prefix = ""
        var rest = Substring(raw)
        while rest.hasPrefix("base:") || rest.hasPrefix("prev:") {
            prefix += rest.prefix(5)
            rest = rest.dropFirst(5)
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let index = components.lastIndex(of: old) else { return nil }
        components[index] = new
        return prefix + components.joined(separator: "/")
    }

    /// A layer name not used in the scope: `base`, `base_2`, `base_3`, …
    static func uniqueName(_ base: String, in scope: ScopeID, graph: NetworkGraph) -> String {
        let used = graph[scope: scope].layerByName
        if used[base] == nil { return base }
        var n = 2
        while used["\(base)_\(n)"] != nil { n += 1 }
        return "\(base)_\(n)"
    }

    /// True when any of the nodes came from a YAML alias (edits there would change the anchor's other uses).
    static func touchesAlias(_ nodes: [ConfigNode]) -> Bool { nodes.contains { $0.isAliasCopy } }
}

/// The rewrite for RL101: delete a redundant unmask and point its consumers at its source.
enum RedundantUnmaskFix {
    static func make(for verdict: UnmaskVerdict, in analysis: Analysis) -> Fix? {
        let graph = analysis.graph
        let id = verdict.unmask
        let node = graph[id]
        let editor = ConfigEditor(analysis.config.document)
        let sources = graph.sources(of: id)
        guard sources.count == 1, let (entry, mapping) = LayerEdits.entry(of: id, in: analysis),
            !LayerEdits.touchesAlias([entry.key, entry.value, mapping])
        else { return nil }
        let source = sources[0].ref
        var edits: [TextEdit] = []
        let consumers = UnmaskAnalysis.consumers(of: id, graph: graph)
        for (consumer, ref) in consumers {
            guard let text = LayerEdits.redirect(ref, from: node.name, to: source),
                let edit = LayerEdits.replaceReference(ref, with: text, editor: editor)
            else { return nil }
            _ = consumer
            edits.append(edit)
        }
        var detail = ""
        if node.name == "output" {
            // The unit's output must stay: turn the unmask into a copy of its source.
            guard let classEntry = node.layer.optionEntry("class") else { return nil }
            edits.append(editor.replaceString(classEntry.value, with: "copy"))
            if let maskEntry = node.layer.optionEntry("mask"), let delete = editor.deleteEntry(maskEntry, from: node.layer.node) {
                edits += delete
            }
            detail = "turn unmask 'output' into a copy of '\(source.raw)'"
        } else {
            if LoopPlan.isSet(node.layer.option("loss")) { return nil }
            // Flags that make the unmask an output move to its source.
            let flags = ["is_output_layer", "need_last"].filter { node.layer.flag($0) == true }
            if !flags.isEmpty {
                guard case .layer(let target) = sources[0].target, graph[target].scope == node.scope else { return nil }
                for flag in flags where graph[target].layer.flag(flag) != true {
                    guard let add = editor.addEntry(key: flag, valueJSON: "true", to: graph[target].layer.node) else { return nil }
                    edits.append(add)
                }
            }
            guard let delete = editor.deleteEntry(entry, from: mapping) else { return nil }
            edits += delete
            let count = consumers.count
            detail = "remove unmask '\(node.name)' and point its \(count) consumer\(count == 1 ? "" : "s") at '\(source.raw)'"
        }
        guard !overlaps(edits) else { return nil }
        return Fix(message: detail, edits: edits, applicability: .safe)
    }

    static func overlaps(_ edits: [TextEdit]) -> Bool {
        let sorted = edits.sorted { $0.range.lowerBound < $1.range.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.range.upperBound > b.range.lowerBound { return true }
        return false
    }
}

/// The rewrite for RL103: put a copy between a top-level unmask and the masked_computation it reads.
enum InsertCopyFix {
    static func make(for verdict: UnmaskVerdict, in analysis: Analysis) -> Fix? {
        let graph = analysis.graph
        let id = verdict.unmask
        guard let source = graph.sources(of: id).first,
            let (entry, mapping) = LayerEdits.entry(of: id, in: analysis), !LayerEdits.touchesAlias([entry.key, entry.value])
        else { return nil }
        let baseName: String
        switch source.target {
        case .layer(let masked): baseName = graph[masked].name
        case .subLayer(let root, let path, _): baseName = ([graph[root].name] + path).joined(separator: "_")
        default: return nil
        }
        let editor = ConfigEditor(analysis.config.document)
        let name = LayerEdits.uniqueName("\(baseName)_copy", in: graph[id].scope, graph: graph)
        let value = "{\(ConfigEditor.jsonQuoted("class")): \(ConfigEditor.jsonQuoted("copy")), \(ConfigEditor.jsonQuoted("from")): \(ConfigEditor.jsonQuoted(source.ref.raw))}"
        guard let redirect = LayerEdits.replaceReference(source.ref, with: name, editor: editor) else { return nil }
        let insert = editor.insertEntry(key: name, valueJSON: value, before: entry, in: mapping)
        return Fix(
            message: "insert copy '\(name)' of '\(source.ref.raw)' and unmask that; the frames before the first true mask value become the copy's initial_output (0)",
            edits: [insert, redirect], applicability: .unsafe)
    }
}

/// The rewrite for RL108: delete an unused layer.
enum DeleteLayerFix {
    static func make(for id: LayerID, in analysis: Analysis) -> Fix? {
        guard let (entry, mapping) = LayerEdits.entry(of: id, in: analysis), !LayerEdits.touchesAlias([entry.key, entry.value, mapping]),
            let edits = ConfigEditor(analysis.config.document).deleteEntry(entry, from: mapping)
        else { return nil }
        return Fix(message: "delete unused layer '\(analysis.graph[id].name)'", edits: edits, applicability: .safe)
    }
}
