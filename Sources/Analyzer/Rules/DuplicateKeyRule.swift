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
                for entry in entries where entry.value.isCollection { stack.append(entry.value) }
                for (duplicate, first) in Self.duplicates(in: entries) {
                    let key = entries[duplicate].key
                    let text = key.stringValue ?? key.plain.description
                    findings.append(
                        finding(
                            "duplicate key '\(text)'; the last definition wins and the earlier one is ignored",
                            in: analysis, span: key.span,
                            notes: [Note("first defined here", span: entries[first].key.span)]))
                }
            case .sequence(let items):
                for item in items where item.isCollection { stack.append(item) }
            default:
                break
            }
        }
        return findings
    }

    /// (index of a repeated key, index of its first occurrence) for every repeat in a mapping; alias copies
    /// neither repeat nor count as first occurrences. Small mappings (almost all) compare keys pairwise,
    /// without hashing; long ones hash them.
    static func duplicates(in entries: [ConfigEntry]) -> [(duplicate: Int, first: Int)] {
        var result: [(duplicate: Int, first: Int)] = []
        if entries.count <= 16 {
            for index in entries.indices.dropFirst() where !entries[index].key.isAliasCopy {
                let key = entries[index].key
                if let first = entries[..<index].firstIndex(where: { !$0.key.isAliasCopy && sameKey($0.key, key) }) {
                    result.append((index, first))
                }
            }
            return result
        }
        // String keys (nearly all) are hashed as strings; a string never equals another scalar as a dict key.
        var firstByString: [String: Int] = [:]
        firstByString.reserveCapacity(entries.count)
        var firstByOtherKey: [PlainValue: Int] = [:]
        for (index, entry) in entries.enumerated() where !entry.key.isAliasCopy {
            if case .string(let text) = entry.key.value {
                if let first = firstByString.updateValue(index, forKey: text) {
                    result.append((index, first))
                    firstByString[text] = first
                }
            } else {
                let plain = entry.key.plain
                if let first = firstByOtherKey[plain] { result.append((index, first)) } else { firstByOtherKey[plain] = index }
            }
        }
        return result
    }

    /// Whether two keys are the same dict key (string keys compared directly, without building plain values).
    static func sameKey(_ a: ConfigNode, _ b: ConfigNode) -> Bool {
        switch (a.value, b.value) {
        // Unequal lengths (most pairs) are told apart without a string comparison.
        case (.string(let x), .string(let y)): return x.utf8.count == y.utf8.count && x == y
        case (.string, _), (_, .string): return false
        default: return a.plain == b.plain
        }
    }
}
