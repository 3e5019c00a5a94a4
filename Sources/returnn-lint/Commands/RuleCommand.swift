import Analyzer
import ArgumentParser

/// `returnn-lint rule CODE|NAME`: print a rule's documentation.
struct RuleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rule", abstract: "Explain a rule (by code or name), or list all rules with --all.")

    @Argument(help: "A rule code (RL101) or name (unmask-redundant).")
    var rule: String?

    @Flag(name: .long, help: "List every rule.")
    var all = false

    func validate() throws {
        if !all && rule == nil { throw ValidationError("give a rule code or name, or --all") }
        if let rule, RuleRegistry.rule(named: rule) == nil {
            throw ValidationError("unknown rule '\(rule)'; 'returnn-lint rule --all' lists the rules")
        }
    }

    func run() throws {
        if all {
            for rule in RuleRegistry.all {
                print("\(rule.id.code)  \(rule.id.name.padding(toLength: 30, withPad: " ", startingAt: 0))  \(rule.documentation.summary)")
            }
            return
        }
        guard let name = rule, let found = RuleRegistry.rule(named: name) else { return }
        print(Self.render(found))
    }

    static func render(_ rule: any Rule.Type) -> String {
        let doc = rule.documentation
        return """
            \(rule.id.code) \(rule.id.name) (\(rule.severity.rawValue))

            \(doc.summary)

            What it checks:
            \(doc.what)

            Why:
            \(doc.why)

            Example:
            \(doc.example)

            Fix:
            \(doc.fix)
            """
    }
}
