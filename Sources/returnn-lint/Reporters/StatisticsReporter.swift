import Analyzer

/// `--statistics`: the number of findings per rule, most frequent first (ties by code), as ruff prints it.
///
/// A finding counts as fixable when its fix is safe, i.e. `--fix` would apply it.
enum StatisticsReporter {
    /// The count of findings of one rule.
    struct Entry: Equatable {
        /// The rule.
        var rule: RuleID
        /// How many findings it reported.
        var count: Int
        /// How many of them have a safe fix.
        var fixableCount: Int
    }

    /// The statistics in `format`: JSON for `json`, text otherwise (SARIF and GitHub have no statistics form).
    static func render(_ findings: [Finding], format: OutputFormat) -> String {
        switch format {
        case .json: return json(entries(findings))
        case .text, .sarif, .github: return text(entries(findings))
        }
    }

    /// One entry per rule that reported anything, sorted by count (descending), then code.
    static func entries(_ findings: [Finding]) -> [Entry] {
        var byCode: [String: Entry] = [:]
        for finding in findings {
            var entry = byCode[finding.rule.code] ?? Entry(rule: finding.rule, count: 0, fixableCount: 0)
            entry.count += 1
            if finding.fix?.applicability == .safe { entry.fixableCount += 1 }
            byCode[finding.rule.code] = entry
        }
        return byCode.values.sorted { ($0.count, $1.rule.code) > ($1.count, $0.rule.code) }
    }

    /// Aligned lines `COUNT  CODE  name  (N fixable)`; nothing when there are no findings.
    static func text(_ entries: [Entry]) -> String {
        let countWidth = entries.map { String($0.count).count }.max() ?? 0
        let codeWidth = entries.map(\.rule.code.count).max() ?? 0
        let nameWidth = entries.map(\.rule.name.count).max() ?? 0
        var out = ""
        for entry in entries {
            let count = String(entry.count)
            var line = String(repeating: " ", count: countWidth - count.count) + count
            line += "  " + entry.rule.code + String(repeating: " ", count: codeWidth - entry.rule.code.count)
            if entry.fixableCount > 0 {
                line += "  " + entry.rule.name + String(repeating: " ", count: nameWidth - entry.rule.name.count)
                line += "  (\(entry.fixableCount) fixable)"
            } else {
                line += "  " + entry.rule.name
            }
            out += line + "\n"
        }
        return out
    }

    /// `[{code, name, count, fixable, fixable_count}]`, as ruff's `--statistics --output-format json`.
    static func json(_ entries: [Entry]) -> String {
        JSONValue.array(
            entries.map { entry in
                .object([
                    ("code", .string(entry.rule.code)),
                    ("name", .string(entry.rule.name)),
                    ("count", .int(entry.count)),
                    ("fixable", .bool(entry.fixableCount > 0)),
                    ("fixable_count", .int(entry.fixableCount)),
                ])
            }
        ).rendered() + "\n"
    }
}
