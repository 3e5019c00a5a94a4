import Analyzer
import NetConfig

/// GitHub Actions workflow commands: `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`.
///
/// Severity maps to `error`, `warning` or `notice`. `col`/`endColumn` are left out when the span covers
/// more than one line (GitHub ignores them then). Notes and the fix follow the message on `%0A`-separated lines.
enum GitHubReporter {
    /// One workflow command per finding; empty output when there are none.
    static func render(_ findings: [Finding], sources: [String: SourceText] = [:]) -> String {
        findings.map { command(for: $0, source: sources[$0.file]) + "\n" }.joined()
    }

    /// The workflow command of one finding.
    static func command(for finding: Finding, source: SourceText?) -> String {
        var properties: [(String, String)] = [("file", finding.file), ("line", String(finding.start.line))]
        let sameLine = finding.start.line == finding.end.line
        if sameLine { properties.append(("col", String(finding.start.column))) }
        properties.append(("endLine", String(finding.end.line)))
        if sameLine { properties.append(("endColumn", String(finding.end.column))) }
        properties.append(("title", "returnn-lint (\(finding.rule.code) \(finding.rule.name))"))
        let head = properties.map { "\($0.0)=\(escapeProperty($0.1))" }.joined(separator: ",")
        return "::\(command(for: finding.severity)) \(head)::\(escapeData(message(finding, source: source)))"
    }

    /// The command name of a severity.
    static func command(for severity: Severity) -> String {
        switch severity {
        case .error: return "error"
        case .warning: return "warning"
        case .info: return "notice"
        }
    }

    /// The message with notes (and their positions) and the fix on following lines.
    static func message(_ finding: Finding, source: SourceText?) -> String {
        var lines = [finding.message]
        for note in finding.notes {
            var line = "note: \(note.message)"
            if let span = note.span, let source { line += " (\(source.location(ofByte: span.lowerBound)))" }
            lines.append(line)
        }
        if let fix = finding.fix { lines.append("help: \(fix.message) (\(fix.applicability.rawValue) fix)") }
        return lines.joined(separator: "\n")
    }

    /// Escapes a message (actions/toolkit `escapeData`): `%`, carriage return, line feed.
    static func escapeData(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Escapes a property value (actions/toolkit `escapeProperty`): as data, plus `:` and `,`.
    static func escapeProperty(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            case ":": out += "%3A"
            case ",": out += "%2C"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
