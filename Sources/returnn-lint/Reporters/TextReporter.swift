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

    /// The source line of the finding's start, with `^~~~` under the span (to the line's end at most). A line
    /// longer than `maxSnippetColumns` (minified JSON is one line) is cut to a window around the span, marked
    /// with `…`, so that a thousand findings on one line do not print the line a thousand times.
    static func snippet(for finding: Finding, in source: SourceText) -> String {
        let lineRange = source.lineRange(containing: finding.span.lowerBound)
        let lineNumber = String(finding.start.line)
        let gutter = String(repeating: " ", count: lineNumber.count)
        let endOnLine = min(finding.span.upperBound, lineRange.upperBound)
        let shown: String
        let caret: Int
        var width: Int
        if lineRange.count <= maxSnippetColumns {
            shown = source.text(lineRange)
            caret = finding.start.column - 1
            let endColumn = endOnLine > finding.span.lowerBound ? source.location(ofByte: endOnLine).column : finding.start.column + 1
            width = endColumn - finding.start.column
        } else {
            // Decode only a piece of the line around the span (a minified file is one line of megabytes).
            let start = finding.span.lowerBound
            let from = characterBoundary(max(lineRange.lowerBound, start - 4 * snippetLeadColumns), in: source.bytes, upTo: start)
            let to = characterBoundary(min(lineRange.upperBound, start + 4 * maxSnippetColumns), in: source.bytes, upTo: lineRange.upperBound)
            let before = Array(source.text(from..<start))
            let after = Array(source.text(start..<to))
            let lead = min(before.count, snippetLeadColumns)
            let tail = min(after.count, maxSnippetColumns - lead)
            let cutBefore = lead < before.count || from > lineRange.lowerBound
            let cutAfter = tail < after.count || to < lineRange.upperBound
            shown = (cutBefore ? "…" : "") + String(before.suffix(lead)) + String(after.prefix(tail)) + (cutAfter ? "…" : "")
            caret = (cutBefore ? 1 : 0) + lead
            width = min(source.text(start..<max(start, min(endOnLine, to))).count, tail)
        }
        let line = String(shown.map { $0 == "\t" ? " " : $0 })
        width = max(1, width)
        let marker = String(repeating: " ", count: max(0, caret)) + "^" + String(repeating: "~", count: width - 1)
        return " \(lineNumber) | \(line)\n \(gutter) | \(marker)\n"
    }

    /// `offset` moved forward to the first byte of a UTF-8 character (not past `limit`).
    private static func characterBoundary(_ offset: Int, in bytes: [UInt8], upTo limit: Int) -> Int {
        var index = offset
        while index < limit, index < bytes.count, bytes[index] & 0xC0 == 0x80 { index += 1 }
        return index
    }

    /// Longest source line shown whole in a snippet, and how much of a longer line is shown before the span.
    static let maxSnippetColumns = 200
    static let snippetLeadColumns = 60

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
