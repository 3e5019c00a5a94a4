import Analyzer
import ArgumentParser

/// Formats of `rule`.
enum RuleFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case text, json
}

/// `returnn-lint rule CODE|NAME`: print a rule's documentation; `rule --all` lists the rules.
struct RuleCommand: ParsableCommand {
    /// The subcommand's name and abstract.
    static let configuration = CommandConfiguration(
        commandName: "rule", abstract: "Explain a rule (by code or name), or list all rules with --all.")

    /// The rule to explain.
    @Argument(help: "A rule code (RL001) or name (unknown-reference).")
    var rule: String?

    /// List every rule instead.
    @Flag(name: .customLong("all"), help: "List every rule: code, name and summary.")
    var all = false

    /// Text or JSON.
    @Option(name: .customLong("output-format"), help: "Output format.")
    var outputFormat: RuleFormat = .text

    /// Requires exactly one of a known rule or `--all`.
    func validate() throws {
        if all && rule != nil { throw ValidationError("give either a rule code or name, or --all, not both") }
        if !all && rule == nil { throw ValidationError("give a rule code or name, or --all") }
        if let rule, RuleRegistry.rule(named: rule) == nil {
            throw ValidationError("unknown rule '\(rule)'; 'returnn-lint rule --all' lists the rules")
        }
    }

    /// Prints the documentation or the list.
    func run() throws {
        if all {
            print(Self.renderList(RuleRegistry.all, format: outputFormat), terminator: "")
            return
        }
        guard let name = rule, let found = RuleRegistry.rule(named: name) else { return }
        print(Self.render(found, format: outputFormat), terminator: "")
    }

    /// The documentation of one rule, newline-terminated.
    static func render(_ rule: any Rule.Type, format: RuleFormat = .text) -> String {
        switch format {
        case .json: return json(rule).rendered() + "\n"
        case .text: return text(rule)
        }
    }

    /// The list of rules (`--all`), newline-terminated: aligned `CODE  name  summary` lines, or a JSON array.
    static func renderList(_ rules: [any Rule.Type], format: RuleFormat = .text) -> String {
        switch format {
        case .json:
            return JSONValue.array(rules.map { json($0) }).rendered() + "\n"
        case .text:
            let ids = rules.map { $0.id }
            let codeWidth = ids.map { $0.code.count }.max() ?? 0
            let nameWidth = ids.map { $0.name.count }.max() ?? 0
            return rules.map { rule in
                pad(rule.id.code, to: codeWidth) + "  " + pad(rule.id.name, to: nameWidth) + "  "
                    + rule.documentation.summary + "\n"
            }.joined()
        }
    }

    /// `text` followed by spaces up to `width` characters.
    private static func pad(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    /// The text form: heading, summary, then what / why / example (indented) / fix and the documentation link.
    static func text(_ rule: any Rule.Type) -> String {
        let doc = rule.documentation
        let example = doc.example.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n")
        return """
            \(rule.id.code) \(rule.id.name) (\(rule.severity.rawValue))

            \(doc.summary)

            What it checks:
            \(doc.what)

            Why it matters:
            \(doc.why)

            Example:
            \(example)

            How to fix:
            \(doc.fix)

            Documentation: \(RuleLinks.url(for: rule.id))

            """
    }

    /// The JSON form: `{code, name, severity, summary, what, why, example, fix, url}`.
    static func json(_ rule: any Rule.Type) -> JSONValue {
        let doc = rule.documentation
        return .object([
            ("code", .string(rule.id.code)),
            ("name", .string(rule.id.name)),
            ("severity", .string(rule.severity.rawValue)),
            ("summary", .string(doc.summary)),
            ("what", .string(doc.what)),
            ("why", .string(doc.why)),
            ("example", .string(doc.example)),
            ("fix", .string(doc.fix)),
            ("url", .string(RuleLinks.url(for: rule.id))),
        ])
    }
}
