import Foundation
import Testing

import NetConfig

// The 278 real networks of ../shared/corpus, read in place, through the IR — as JSON, and converted to
// commented block-style YAML, which must give an equal IR.

// MARK: - Corpus files

private enum CorpusFiles {
    /// The package root (this file is `Tests/NetConfigTests/CorpusIRTests.swift`).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// `../shared/corpus`, next to the package.
    static let directory = packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared").appendingPathComponent("corpus")

    /// The `*.json` files of a corpus subfolder, sorted by name.
    static func files(in subfolder: String) -> [URL] {
        let folder = directory.appendingPathComponent(subfolder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { folder.appendingPathComponent($0) }
    }

    static let masked = files(in: "masked")
    static let plain = files(in: "plain")
    static let all = masked + plain

    /// `masked/NAME.json` or `plain/NAME.json`: short, unique test-case names.
    static func shortName(_ url: URL) -> String {
        url.deletingLastPathComponent().lastPathComponent + "/" + url.lastPathComponent
    }

    /// Every corpus file read into the IR once (the tests share it): the config, or why it failed.
    static let loaded: [URL: Result<NetworkConfig, LoadFailure>] = {
        var result: [URL: Result<NetworkConfig, LoadFailure>] = [:]
        for url in all {
            do {
                let data = try Data(contentsOf: url)
                result[url] = .success(try NetworkConfig.load(SourceText(path: shortName(url), bytes: [UInt8](data))))
            } catch {
                result[url] = .failure(LoadFailure(description: "\(error)"))
            }
        }
        return result
    }()

    struct LoadFailure: Error, CustomStringConvertible {
        var description: String
    }

    static func load(_ url: URL) throws -> NetworkConfig {
        guard let result = loaded[url] else { throw LoadFailure(description: "not a corpus file: \(url.path)") }
        return try result.get()
    }
}

// MARK: - JSON → YAML

/// Writes a value tree as block-style YAML with comments: a header, a comment line before some layers and a
/// trailing comment after some scalars. Every string (keys too) is double-quoted, so no YAML plain-scalar
/// resolution can change its meaning; empty collections are `{}` / `[]`.
struct CommentedYAMLWriter {
    private(set) var text = ""
    /// The text of every comment written, in order (without the line break).
    private(set) var comments: [String] = []
    private var scalarCount = 0
    private var layerCount = 0

    /// The YAML for `root`, with a header comment naming `title`.
    static func yaml(for root: ConfigNode, title: String) -> (text: String, comments: [String]) {
        var writer = CommentedYAMLWriter()
        writer.comment("# converted from \(title) — JSON → YAML, ä € 😀", indent: 0)
        writer.comment("# every string is \"double-quoted\": {not: a, mapping} [nor, a, list]", indent: 0)
        writer.block(root, indent: 0)
        return (writer.text, writer.comments)
    }

    private mutating func comment(_ line: String, indent: Int) {
        text += String(repeating: " ", count: indent) + line + "\n"
        comments.append(line)
    }

    /// A node that starts at the beginning of a line, indented by `indent`.
    private mutating func block(_ node: ConfigNode, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        switch node.value {
        case .mapping(let entries) where !entries.isEmpty:
            for entry in entries {
                if entry.value["class"] != nil {
                    layerCount += 1
                    if layerCount % 3 == 1 {
                        comment("# layer \(Self.quoted(Self.keyText(entry.key))): - [x] {y} 'z' ü", indent: indent)
                    }
                }
                text += pad + Self.quoted(Self.keyText(entry.key)) + ":"
                child(entry.value, indent: indent + 2)
            }
        case .sequence(let items) where !items.isEmpty:
            for item in items {
                text += pad + "-"
                child(item, indent: indent + 2)
            }
        default:
            text += pad + scalar(node) + "\n"
        }
    }

    /// The value after `key:` or `-`: inline if it is a scalar or empty, else a block on the next lines.
    private mutating func child(_ node: ConfigNode, indent: Int) {
        switch node.value {
        case .mapping(let entries) where !entries.isEmpty:
            text += "\n"
            block(node, indent: indent)
        case .sequence(let items) where !items.isEmpty:
            text += "\n"
            block(node, indent: indent)
        default:
            text += " " + scalar(node)
            scalarCount += 1
            if scalarCount % 5 == 0 {
                let line = "# scalar #\(scalarCount): \"not\" a value, ' or [ or {"
                text += "  " + line
                comments.append(line)
            }
            text += "\n"
        }
    }

    private func scalar(_ node: ConfigNode) -> String {
        switch node.value {
        case .string(let s): return Self.quoted(s)
        case .int(let i): return String(i)
        case .float(let d):
            if d.isNaN { return ".nan" }
            if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
            return "\(d)"  // shortest form that reads back to the same Double: "0.001", "1e-05", "-0.0"
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .mapping: return "{}"
        case .sequence: return "[]"
        }
    }

    private static func keyText(_ key: ConfigNode) -> String {
        key.stringValue ?? "\(key.plain)"
    }

    /// A YAML double-quoted scalar. Escapes what YAML would otherwise fold, reject or read differently: `\`,
    /// `"`, control characters, DEL, C1 controls (U+0085 is a YAML line break), U+2028/U+2029, BOM, U+FFFE/F.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                let v = scalar.value
                if v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029 || v == 0xFEFF
                    || v == 0xFFFE || v == 0xFFFF
                {
                    let hex = String(v, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

// MARK: - IR summary

/// Everything the IR says about a config, without positions: two files with equal summaries mean the same
/// network to the linter.
private func irSummary(_ config: NetworkConfig) -> [String] {
    var lines = ["bare=\(config.isBareNetwork) layerCount=\(config.layerCount)"]
    let extern = config.externData
    lines.append("extern origin=\(extern.origin) default=\(extern.defaultInputKey)")
    for entry in extern.entries {
        lines.append(
            "  extern \(entry.key): dim=\(String(describing: entry.dim)) none=\(entry.dimIsNone) sparse=\(entry.sparse) "
                + "dtype=\(String(describing: entry.dtype)) shape=\(String(describing: entry.shape)) "
                + "sameDimTagsAs=\(entry.sameDimTagsAs.map { "\($0.axis)=\($0.node.plain)" }) "
                + "avail=\(String(describing: entry.availableForInference))")
    }
    lines.append("settings=\(config.settings.map { "\($0.key.plain)" })")
    for dim in config.dimDeclarations {
        lines.append("dim \(dim.description) \(String(describing: dim.dimension)) \(dim.kind)")
    }
    for problem in config.configProblems { lines.append("config problem \(problem.option): \(problem.message)") }
    summarize(config.network, path: [], into: &lines)
    return lines
}

private func summarize(_ network: Network, path: [String], into lines: inout [String]) {
    lines.append("network \(network.kind) scope=\(network.scope) layers=\(network.layers.count)")
    for layer in network.layers { summarize(layer, path: path + [layer.name], into: &lines) }
}

private func refText(_ ref: LayerRef) -> String {
    "\(ref.option):\(ref.raw)=>base\(ref.baseLevels)\(ref.isPrev ? ",prev" : ""),\(ref.target)"
}

private func summarize(_ layer: Layer, path: [String], into lines: inout [String]) {
    let name = path.joined(separator: "/")
    lines.append(
        "layer \(name) class=\(layer.className ?? "-") mapping=\(layer.isMapping) explicitFrom=\(layer.hasExplicitFrom)")
    lines.append("  sources \(layer.sources.map(refText))")
    lines.append("  refs \(layer.references.map(refText))")
    if !layer.targets.isEmpty { lines.append("  targets \(layer.targets)") }
    if !layer.collocateWith.isEmpty { lines.append("  collocate \(layer.collocateWith)") }
    for problem in layer.optionProblems { lines.append("  problem \(problem.option): \(problem.message)") }
    switch layer.children {
    case .none: break
    case .builtinUnit(let unit): lines.append("  builtin unit \(unit)")
    case .recUnit(let net), .subnetwork(let net): summarize(net, path: path, into: &lines)
    case .maskedUnit(let unit): summarize(unit, path: path + ["[unit]"], into: &lines)
    case .condBranches(let t, let f):
        if let t { summarize(t, path: path + ["[true]"], into: &lines) }
        if let f { summarize(f, path: path + ["[false]"], into: &lines) }
    }
}

/// Every layer of a network, nested ones included (masked units and cond branches too), with the key its
/// dict is written under: the layer name, `unit` for a masked unit, `true_layer`/`false_layer` for branches.
private func allLayers(_ network: Network) -> [(layer: Layer, key: String)] {
    var result: [(layer: Layer, key: String)] = []
    var pending = network.layers.reversed().map { ($0, $0.name) }
    while let (layer, key) = pending.popLast() {
        result.append((layer, key))
        switch layer.children {
        case .recUnit(let net), .subnetwork(let net): pending += net.layers.reversed().map { ($0, $0.name) }
        case .maskedUnit(let unit): pending.append((unit, "unit"))
        case .condBranches(let t, let f):
            if let f { pending.append((f, "false_layer")) }
            if let t { pending.append((t, "true_layer")) }
        case .none, .builtinUnit: break
        }
    }
    return result
}

/// The string a JSON string literal (the text of a span) decodes to, through our own reader.
private func decodedJSONString(_ literal: String) -> String? {
    try? ConfigParser.parse(SourceText(path: "s.json", text: literal), format: .json).root.stringValue
}

// MARK: - Tests

@Suite("Corpus → IR")
struct CorpusIRTests {
    @Test func corpusHas278NetworksAndAllParse() throws {
        #expect(CorpusFiles.masked.count == 25)
        #expect(CorpusFiles.plain.count == 253)
        #expect(CorpusFiles.all.count == 278)
        var failures: [String] = []
        var totalLayers = 0
        for url in CorpusFiles.all {
            do {
                let config = try CorpusFiles.load(url)
                totalLayers += config.layerCount
                if config.network.layers.isEmpty { failures.append("\(CorpusFiles.shortName(url)): no layers") }
            } catch {
                failures.append("\(CorpusFiles.shortName(url)): \(error)")
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(totalLayers > 10_000, "\(totalLayers) layers in total")
    }

    @Test func everyMaskedNetworkHasAMaskedComputationWithAUnit() throws {
        for url in CorpusFiles.masked {
            let layers = allLayers(try CorpusFiles.load(url).network).map(\.layer)
            let masked = layers.filter { $0.className == "masked_computation" }
            #expect(!masked.isEmpty, "\(CorpusFiles.shortName(url))")
            for layer in masked {
                guard case .maskedUnit(let unit) = layer.children else {
                    Issue.record("\(CorpusFiles.shortName(url)): \(layer.name) has no unit")
                    continue
                }
                #expect(unit.name == layer.name)
                #expect(layer.references.contains { $0.option == "mask" }, "\(layer.name) has no mask reference")
            }
        }
    }

    @Test func knownFactsOfTheRnaBlank0Network() throws {
        let url = try #require(CorpusFiles.masked.first { $0.lastPathComponent.hasPrefix("2020-rnn-transducer__rna-tf2.blank0") })
        let config = try CorpusFiles.load(url)
        #expect(!config.isBareNetwork)
        #expect(config.externData.origin == .externData)
        let output = try #require(config.network.layer(named: "output"))
        #expect(output.className == "rec")
        guard case .recUnit(let unit) = output.children else {
            Issue.record("output has no rec unit")
            return
        }
        #expect(unit.kind == .recUnit)
        #expect(unit.scope == ["output"])
        let lm = try #require(unit.layer(named: "lm"))
        #expect(lm.className == "copy")
        #expect(lm.sources.map(\.raw) == ["lm_embed_unmask"])
        #expect(unit.layer(named: "lm_embed_unmask") == nil)
        // The span of the reference is the quoted string in the file.
        #expect(config.document.source.text(lm.sources[0].span) == "\"lm_embed_unmask\"")
        let lmMasked = try #require(unit.layer(named: "lm_masked"))
        #expect(lmMasked.className == "masked_computation")
        #expect(lmMasked.references.map(\.raw).contains("prev:output_emit"))
        #expect(lmMasked.references.first { $0.option == "mask" }?.isPrev == true)
        guard case .maskedUnit(let maskedUnit) = lmMasked.children, case .subnetwork(let sub) = maskedUnit.children
        else {
            Issue.record("lm_masked has no subnetwork unit")
            return
        }
        #expect(sub.kind == .subnetwork)
        #expect(!sub.layers.isEmpty)
    }

    @Test func everyIRSpanSlicesBackToItsJSONText() throws {
        for url in CorpusFiles.all {
            let config = try CorpusFiles.load(url)
            let source = config.document.source
            for (layer, key) in allLayers(config.network) {
                let nameText = source.text(layer.nameSpan)
                #expect(decodedJSONString(nameText) == key, "\(CorpusFiles.shortName(url)): name span of \(layer.name)")
                if let classNode = layer.classNode, let className = layer.className {
                    #expect(decodedJSONString(source.text(classNode.span)) == className)
                }
                for ref in layer.references where !(ref.option == "from" && !layer.hasExplicitFrom) {
                    let text = decodedJSONString(source.text(ref.span))
                    #expect(text == ref.raw || text == "layer:" + ref.raw, "\(CorpusFiles.shortName(url)): \(layer.name) ref \(ref.raw)")
                }
            }
            if config.externData.origin == .externData {
                for entry in config.externData.entries {
                    #expect(decodedJSONString(source.text(entry.keySpan)) == entry.key)
                }
            }
        }
    }

    /// The corpus converted to commented block YAML (in a temp directory) gives the same value tree and IR,
    /// and every IR span points at the right text of the YAML file.
    @Test(arguments: CorpusFiles.all)
    func yamlConversionGivesAnEqualIR(_ url: URL) throws {
        let json = try CorpusFiles.load(url)
        let (yamlText, insertedComments) = CommentedYAMLWriter.yaml(for: json.document.root, title: CorpusFiles.shortName(url))

        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("returnn-lint-corpus-yaml-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let yamlURL = directory.appendingPathComponent(url.deletingPathExtension().lastPathComponent + ".yaml")
        try Data(yamlText.utf8).write(to: yamlURL)
        defer { try? FileManager.default.removeItem(at: yamlURL) }

        let yaml = try NetworkConfig.load(
            SourceText(path: yamlURL.lastPathComponent, bytes: [UInt8](try Data(contentsOf: yamlURL))))
        #expect(yaml.document.format == .yaml)
        #expect(yaml.document.root.plain == json.document.root.plain)
        let jsonSummary = irSummary(json)
        let yamlSummary = irSummary(yaml)
        #expect(yamlSummary.count == jsonSummary.count)
        if let i = jsonSummary.indices.first(where: { $0 < yamlSummary.count && jsonSummary[$0] != yamlSummary[$0] }) {
            Issue.record("first difference:\n json: \(jsonSummary[i])\n yaml: \(yamlSummary[i])")
        }

        // Comments: all recorded, with ranges that slice back to exactly what was written.
        let source = yaml.document.source
        #expect(yaml.document.comments.map { source.text($0) } == insertedComments)

        // Positions in the YAML file: names, classes, references, extern data keys.
        let quoted = CommentedYAMLWriter.quoted
        for (layer, key) in allLayers(yaml.network) {
            #expect(source.text(layer.nameSpan) == quoted(key), "name span of \(layer.name)")
            if let classNode = layer.classNode, let className = layer.className {
                #expect(source.text(classNode.span) == quoted(className))
            }
            for ref in layer.references where !(ref.option == "from" && !layer.hasExplicitFrom) {
                let text = source.text(ref.span)
                #expect(text == quoted(ref.raw) || text == quoted("layer:" + ref.raw), "\(layer.name): \(ref.raw)")
            }
        }
        if yaml.externData.origin == .externData {
            for entry in yaml.externData.entries {
                #expect(source.text(entry.keySpan) == quoted(entry.key))
            }
        }
    }

    @Test func writerQuotesWhatYAMLWouldMisread() throws {
        let tricky = [
            "yes", "no", "on", "null", "~", "1e3", "0x1F", "12", "-.inf", ".nan", "", " lead", "trail ", "a: b",
            "#x", "x #y", "- z", "[a]", "{b}", "*alias", "&anchor", "!tag", "%dir", "@", "`", "'q'", "\"dq\"",
            "back\\slash", "tab\there", "line\nbreak", "cr\rx", "nel\u{85}x", "ls\u{2028}ps\u{2029}", "bom\u{FEFF}",
            "del\u{7F}", "bell\u{07}", "ä€😀", "---", "...",
        ]
        let root = ConfigNode(
            .sequence(tricky.map { ConfigNode(.string($0), span: 0..<0, style: .json) }), span: 0..<0, style: .json)
        let (text, _) = CommentedYAMLWriter.yaml(for: root, title: "tricky")
        let parsed = try ConfigParser.parse(SourceText(path: "t.yaml", text: text), format: .yaml)
        #expect(parsed.root.plain == .sequence(tricky.map { .string($0) }))
    }

    @Test func writerKeepsNumbersExact() throws {
        let numbers: [ConfigNode.Value] = [
            .int(0), .int(-7), .int(Int.max), .int(Int.min), .float(0.1), .float(1e-05), .float(-2.5e300),
            .float(1e+20), .float(5e-324), .float(3.0), .float(-0.0), .float(0.30000000000000004), .bool(true),
            .bool(false), .null, .mapping([]), .sequence([]),
        ]
        let root = ConfigNode(.sequence(numbers.map { ConfigNode($0, span: 0..<0, style: .json) }), span: 0..<0, style: .json)
        let (text, _) = CommentedYAMLWriter.yaml(for: root, title: "numbers")
        let parsed = try ConfigParser.parse(SourceText(path: "n.yaml", text: text), format: .yaml)
        let values = try #require(parsed.root.elements).map(\.value)
        #expect(values == numbers)
        // -0.0 == 0.0 for Double; the sign must survive as well.
        if case .float(let negativeZero) = values[10] { #expect(negativeZero.sign == .minus) }
    }
}
