import NetConfig

/// RL004 `duplicate-key`: a key written twice in one mapping; the last one silently wins.
public struct DuplicateKeyRule: Rule {
    public static let id = RuleID(code: "RL004", name: "duplicate-key")
    public static let severity = Severity.warning
    public static let documentation = RuleDocumentation(
        summary: "a key appears twice in one mapping",
        what: "Every mapping of the file (network dicts, layer dicts, options) is checked for keys written more than once.",
        why: "JSON and Python dicts keep only the last value of a duplicated key, so the first definition is silently dropped. A duplicated layer name usually means one of the two layers was meant to have another name.",
        example: #"{"lin": {"class": "linear", "n_out": 3}, "lin": {"class": "copy"}}"#,
        fix: "Rename or remove one of the two entries. There is no automatic fix.")

    public init() {}

    public func check(_ analysis: Analysis) -> [Finding] {
        var findings: [Finding] = []
        var stack = [analysis.config.document.root]
        while let node = stack.popLast() {
            switch node.value {
            case .mapping(let entries):
                // Most mappings are small: compare keys pairwise there instead of hashing them.
                var firstByKey: [PlainValue: ConfigEntry] = [:]
                var seen: [ConfigEntry] = []
                let hashed = entries.count > 12
                for entry in entries {
                    stack.append(entry.value)
                    guard !entry.key.isAliasCopy else { continue }
                    let earlier = hashed ? firstByKey[entry.key.plain] : seen.first { Self.sameKey($0.key, entry.key) }
                    if let first = earlier {
                        let text = entry.key.stringValue ?? entry.key.plain.description
                        findings.append(
                            finding(
                                "duplicate key '\(text)'; the last definition wins and the earlier one is ignored",
                                in: analysis, span: entry.key.span,
                                notes: [Note("first defined here", span: first.key.span)]))
                    } else if hashed {
                        firstByKey[entry.key.plain] = entry
                    } else {
                        seen.append(entry)
                    }
                }
            case .sequence(let items):
                stack.append(contentsOf: items)
            default:
                break
            }
        }
        return findings
    }

    /// Whether two keys are the same dict key (string keys compared directly, without building plain values).
    static func sameKey(_ a: ConfigNode, _ b: ConfigNode) -> Bool {
        switch (a.stringValue, b.stringValue) {
        case (let x?, let y?): return x == y
        case (nil, nil): return a.plain == b.plain
        default: return false
        }
    }
}
