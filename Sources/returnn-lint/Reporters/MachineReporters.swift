import Analyzer
import Foundation

/// ruff-shaped JSON array (placeholder until the reporters issue lands its full version).
enum JSONReporter {
    static func render(_ findings: [Finding]) -> String {
        var items: [[String: Any]] = []
        for f in findings {
            items.append([
                "code": f.rule.code, "name": f.rule.name, "message": f.message, "filename": f.file,
                "location": ["row": f.start.line, "column": f.start.column],
                "end_location": ["row": f.end.line, "column": f.end.column],
                "layer_path": f.layerPath as Any,
            ])
        }
        let data = (try? JSONSerialization.data(withJSONObject: items, options: [.prettyPrinted, .sortedKeys])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

enum SARIFReporter {
    static func render(_ findings: [Finding], rules: [any Rule.Type]) -> String { JSONReporter.render(findings) }
}

enum GitHubReporter {
    static func render(_ findings: [Finding]) -> String {
        findings.map { "::\($0.severity == .error ? "error" : "warning") file=\($0.file),line=\($0.start.line),col=\($0.start.column)::\($0.message)" }.joined(separator: "\n") + "\n"
    }
}

enum StatisticsReporter {
    static func render(_ findings: [Finding], format: OutputFormat) -> String {
        var counts: [RuleID: Int] = [:]
        for f in findings { counts[f.rule, default: 0] += 1 }
        return counts.sorted { $0.key < $1.key }.map { "\($0.value)\t\($0.key.code)\t\($0.key.name)" }.joined(separator: "\n") + "\n"
    }
}
