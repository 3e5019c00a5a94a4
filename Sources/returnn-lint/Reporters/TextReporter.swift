import Analyzer
import NetConfig

/// Compiler-style text: `file:line:col: CODE message [name]`, the source line, a caret under the span, notes.
enum TextReporter {
    static func render(_ findings: [Finding], sources: [String: SourceText], hadErrors: Bool = false) -> String {
        var out = ""
        for finding in findings {
            out += "\(finding.file):\(finding.start.line):\(finding.start.column): \(finding.rule.code) \(finding.message) [\(finding.rule.name)]\n"
            if let source = sources[finding.file] {
                out += snippet(for: finding, in: source)
            }
            for note in finding.notes {
                if let span = note.span, let source = sources[finding.file] {
                    let location = source.location(ofByte: span.lowerBound)
                    out += "  note: \(note.message) (\(location.line):\(location.column))\n"
                } else {
                    out += "  note: \(note.message)\n"
                }
            }
            if let fix = finding.fix {
                out += "  fix (\(fix.applicability.rawValue)): \(fix.message)\n"
                if let verification = fix.verification {
                    out += "  verification: \(VerificationText.summary(verification))\n"
                }
            }
        }
        out += summary(findings, hadErrors: hadErrors)
        return out
    }

    /// The source line of the finding's start, with `^~~~` under the span (to the line's end at most).
    static func snippet(for finding: Finding, in source: SourceText) -> String {
        let lineRange = source.lineRange(containing: finding.span.lowerBound)
        let lineText = source.text(lineRange).replacingOccurrences(of: "\t", with: " ")
        let lineNumber = String(finding.start.line)
        let gutter = String(repeating: " ", count: lineNumber.count)
        let startColumn = finding.start.column
        let endOnLine = min(finding.span.upperBound, lineRange.upperBound)
        let endColumn = endOnLine > finding.span.lowerBound ? source.location(ofByte: endOnLine).column : startColumn + 1
        let width = max(1, endColumn - startColumn)
        let marker = String(repeating: " ", count: max(0, startColumn - 1)) + "^" + String(repeating: "~", count: width - 1)
        return " \(lineNumber) | \(lineText)\n \(gutter) | \(marker)\n"
    }

    static func summary(_ findings: [Finding], hadErrors: Bool = false) -> String {
        if findings.isEmpty { return hadErrors ? "No findings in the files that could be read.\n" : "All checks passed.\n" }
        let fixable = findings.filter { ($0.fix?.applicability ?? .displayOnly) == .safe }.count
        var line = "Found \(findings.count) finding\(findings.count == 1 ? "" : "s")"
        if fixable > 0 { line += " (\(fixable) fixable with --fix)" }
        return line + ".\n"
    }
}

/// One-line descriptions of verification results, shared by the reporters.
enum VerificationText {
    static func summary(_ v: Verification) -> String {
        var text = "\(v.status.rawValue), \(v.trials) trials, seed \(v.seed), max abs diff \(v.maxAbsDiff)"
        if !v.standIns.isEmpty { text += ", random stand-ins for \(v.standIns.joined(separator: ", "))" }
        if let detail = v.detail { text += " (\(detail))" }
        return text
    }
}
