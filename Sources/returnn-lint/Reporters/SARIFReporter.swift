import Analyzer
import NetConfig

/// SARIF 2.1.0: one run, one reporting descriptor per selected rule, one result per finding.
///
/// Columns are Unicode code points (`columnKind: unicodeCodePoints`), regions carry byte offsets too,
/// layers are logical locations, and `partialFingerprints["returnnLint/v1"]` hashes rule, file, layer
/// and message (not positions), so an alert survives lines moving around it.
enum SARIFReporter {
    /// The schema address written into `$schema`.
    static let schemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

    /// The key of the fingerprint in `partialFingerprints`.
    static let fingerprintKey = "returnnLint/v1"

    /// The SARIF log for `findings`; `rules` are the selected rules, `sources` (by display path) locate edits and notes.
    static func render(_ findings: [Finding], rules: [any Rule.Type], sources: [String: SourceText] = [:]) -> String {
        log(findings, rules: rules, sources: sources).rendered() + "\n"
    }

    /// The SARIF log as a JSON value.
    static func log(_ findings: [Finding], rules: [any Rule.Type], sources: [String: SourceText]) -> JSONValue {
        let descriptors = descriptorList(rules: rules, findings: findings)
        var index: [String: Int] = [:]
        for (i, descriptor) in descriptors.enumerated() where index[descriptor.id.code] == nil {
            index[descriptor.id.code] = i
        }
        let driver = JSONValue.object([
            ("name", .string("returnn-lint")),
            ("semanticVersion", .string(ReturnnLint.version)),
            ("informationUri", .string(RuleLinks.homepage)),
            ("rules", .array(descriptors.map(reportingDescriptor))),
        ])
        let run = JSONValue.object([
            ("tool", .object([("driver", driver)])),
            ("invocations", .array([.object([("executionSuccessful", .bool(true))])])),
            ("columnKind", .string("unicodeCodePoints")),
            (
                "results",
                .array(findings.map { result(for: $0, ruleIndex: index[$0.rule.code], source: sources[$0.file]) })
            ),
        ])
        return .object([
            ("$schema", .string(schemaURI)),
            ("version", .string("2.1.0")),
            ("runs", .array([run])),
        ])
    }

    // MARK: - Rules

    /// What a reporting descriptor is made from.
    struct Descriptor {
        /// The rule's identity.
        var id: RuleID
        /// Its default severity.
        var severity: Severity
        /// Its documentation, when the rule is registered.
        var documentation: RuleDocumentation?
    }

    /// The selected rules in order, plus (defensively) any rule that reported a finding without being selected.
    static func descriptorList(rules: [any Rule.Type], findings: [Finding]) -> [Descriptor] {
        var list = rules.map { Descriptor(id: $0.id, severity: $0.severity, documentation: $0.documentation) }
        var known = Set(list.map(\.id.code))
        for finding in findings where !known.contains(finding.rule.code) {
            known.insert(finding.rule.code)
            if let rule = RuleRegistry.rule(named: finding.rule.code) {
                list.append(Descriptor(id: rule.id, severity: rule.severity, documentation: rule.documentation))
            } else {
                list.append(Descriptor(id: finding.rule, severity: finding.severity, documentation: nil))
            }
        }
        return list
    }

    /// A `reportingDescriptor`.
    static func reportingDescriptor(_ d: Descriptor) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("id", .string(d.id.code)), ("name", .string(d.id.name))]
        if let doc = d.documentation {
            pairs.append(("shortDescription", text(doc.summary)))
            pairs.append(("fullDescription", text(doc.what)))
            pairs.append(
                (
                    "help",
                    .object([
                        ("text", .string(helpText(doc))),
                        ("markdown", .string(helpMarkdown(doc))),
                    ])
                ))
        }
        pairs.append(("helpUri", .string(RuleLinks.url(for: d.id))))
        pairs.append(("defaultConfiguration", .object([("level", .string(level(d.severity)))])))
        return .object(pairs)
    }

    /// The plain-text help of a rule: what, why, fix.
    static func helpText(_ doc: RuleDocumentation) -> String {
        "\(doc.what)\n\nWhy: \(doc.why)\n\nFix: \(doc.fix)"
    }

    /// The Markdown help of a rule: what, why, example, fix.
    static func helpMarkdown(_ doc: RuleDocumentation) -> String {
        """
        \(doc.what)

        **Why.** \(doc.why)

        **Example.**

        ```
        \(doc.example)
        ```

        **Fix.** \(doc.fix)
        """
    }

    /// The SARIF level of a severity.
    static func level(_ severity: Severity) -> String {
        switch severity {
        case .error: return "error"
        case .warning: return "warning"
        case .info: return "note"
        }
    }

    // MARK: - Results

    /// A `result` for one finding.
    static func result(for finding: Finding, ruleIndex: Int?, source: SourceText?) -> JSONValue {
        let artifact = JSONValue.object([("uri", .string(artifactURI(finding.file)))])
        var location: [(String, JSONValue)] = [
            (
                "physicalLocation",
                .object([
                    ("artifactLocation", artifact),
                    ("region", region(start: finding.start, end: finding.end, bytes: finding.span)),
                ])
            )
        ]
        if let path = finding.layerPath {
            location.append(
                ("logicalLocations", .array([.object([("fullyQualifiedName", .string(path)), ("kind", .string("object"))])])))
        }
        var pairs: [(String, JSONValue)] = [("ruleId", .string(finding.rule.code))]
        if let ruleIndex { pairs.append(("ruleIndex", .int(ruleIndex))) }
        pairs.append(("level", .string(level(finding.severity))))
        pairs.append(("message", text(messageText(finding, source: source))))
        pairs.append(("locations", .array([.object(location)])))
        let related = finding.notes.compactMap { note -> (Note, Range<Int>)? in note.span.map { (note, $0) } }
        if !related.isEmpty {
            pairs.append(
                (
                    "relatedLocations",
                    .array(
                        related.enumerated().map { i, pair in
                            .object([
                                ("id", .int(i + 1)),
                                (
                                    "physicalLocation",
                                    .object([("artifactLocation", artifact), ("region", region(bytes: pair.1, in: source))])
                                ),
                                ("message", text(pair.0.message)),
                            ])
                        })
                ))
        }
        pairs.append(("partialFingerprints", .object([(fingerprintKey, .string(fingerprint(finding)))])))
        if let fix = finding.fix {
            pairs.append(("fixes", .array([sarifFix(fix, artifact: artifact, source: source)])))
            var properties: [(String, JSONValue)] = [("fixApplicability", .string(fix.applicability.rawValue))]
            if let v = fix.verification { properties.append(("verification", verification(v))) }
            pairs.append(("properties", .object(properties)))
        }
        return .object(pairs)
    }

    /// The message, with notes on following lines (`note: …`, and the note's position when it has one).
    static func messageText(_ finding: Finding, source: SourceText?) -> String {
        var text = finding.message
        for note in finding.notes {
            text += "\nnote: \(note.message)"
            if let span = note.span, let source {
                text += " (\(source.location(ofByte: span.lowerBound)))"
            }
        }
        return text
    }

    /// A `fix` with one artifact change holding every edit.
    static func sarifFix(_ fix: Fix, artifact: JSONValue, source: SourceText?) -> JSONValue {
        let replacements = fix.edits.map { edit -> JSONValue in
            var pairs: [(String, JSONValue)] = [("deletedRegion", region(bytes: edit.range, in: source))]
            if !edit.replacement.isEmpty { pairs.append(("insertedContent", text(edit.replacement))) }
            return .object(pairs)
        }
        return .object([
            ("description", text(fix.message)),
            (
                "artifactChanges",
                .array([.object([("artifactLocation", artifact), ("replacements", .array(replacements))])])
            ),
        ])
    }

    /// The verification result as a property bag (camelCase keys).
    static func verification(_ v: Verification) -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("status", .string(v.status.rawValue)),
            ("trials", .int(v.trials)),
            ("seed", .uint(v.seed)),
            ("maxAbsDiff", .double(v.maxAbsDiff)),
            ("standIns", .array(v.standIns.map(JSONValue.string))),
            ("comparedLayers", .int(v.comparedLayers)),
        ]
        if let detail = v.detail { pairs.append(("detail", .string(detail))) }
        if let c = v.counterexample {
            pairs.append(
                (
                    "counterexample",
                    .object([
                        ("trial", .int(c.trial)),
                        ("seed", .uint(c.seed)),
                        ("layer", .string(c.layer)),
                        ("mode", .string(c.mode)),
                        ("index", .array(c.index.map(JSONValue.int))),
                        ("original", .double(c.original)),
                        ("rewritten", .double(c.rewritten)),
                    ])
                ))
        }
        return .object(pairs)
    }

    // MARK: - Building blocks

    /// `{text: …}` (a SARIF `message` or `multiformatMessageString`).
    static func text(_ string: String) -> JSONValue { .object([("text", .string(string))]) }

    /// A region with lines, code-point columns (end exclusive) and the byte range.
    static func region(start: TextLocation, end: TextLocation, bytes: Range<Int>) -> JSONValue {
        .object([
            ("startLine", .int(start.line)),
            ("startColumn", .int(start.column)),
            ("endLine", .int(end.line)),
            ("endColumn", .int(end.column)),
            ("byteOffset", .int(bytes.lowerBound)),
            ("byteLength", .int(bytes.count)),
        ])
    }

    /// The region of a byte range: with lines and columns when the text is at hand, else bytes only.
    static func region(bytes: Range<Int>, in source: SourceText?) -> JSONValue {
        guard let source else {
            return .object([("byteOffset", .int(bytes.lowerBound)), ("byteLength", .int(bytes.count))])
        }
        return region(start: source.location(ofByte: bytes.lowerBound), end: source.location(ofByte: bytes.upperBound), bytes: bytes)
    }

    /// The fingerprint of a finding: FNV-1a 64 (16 hex digits) of rule code, file, layer path and message.
    static func fingerprint(_ finding: Finding) -> String {
        let key = [finding.rule.code, finding.file, finding.layerPath ?? "", finding.message].joined(separator: "\u{1F}")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// A URI reference for a display path: relative paths stay relative, absolute ones become `file://` URIs;
    /// every byte outside the unreserved set and `/` is percent-encoded (so spaces and non-ASCII are valid).
    static func artifactURI(_ path: String) -> String {
        let encoded = percentEncode(path)
        return path.hasPrefix("/") ? "file://" + encoded : encoded
    }

    /// Percent-encodes the UTF-8 bytes of `path` except ASCII letters, digits, `-._~` and `/`.
    static func percentEncode(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }
}
