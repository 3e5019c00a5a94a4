import NetConfig

/// RL005 `invalid-option`: an option value of the wrong type where RETURNN expects a layer name or data spec.
public struct InvalidOptionRule: Rule {
    public static let id = RuleID(code: "RL005", name: "invalid-option")
    public static let severity = Severity.error
    public static let documentation = RuleDocumentation(
        summary: "an option value has the wrong type (e.g. a number where a layer name belongs)",
        what: "Options that RETURNN resolves as layer names (`from`, `mask`, `masked_from`, `position`, …) must be strings (or lists of strings for `from`); `extern_data` entries must be dicts or `[dim, ndim]` pairs.",
        why: "RETURNN calls `get_layer` on these values and fails on anything that is not a name.",
        example: #""masked": {"class": "masked_computation", "mask": 1, "unit": {"class": "copy"}}"#,
        fix: "Write the layer name. There is no automatic fix.")

    public init() {}

    public func check(_ analysis: Analysis) -> [Finding] {
        var findings: [Finding] = []
        for node in analysis.graph.layers where node.isActive {
            for problem in node.layer.optionProblems {
                findings.append(
                    finding(
                        "option '\(problem.option)' of layer '\(node.layer.name)': \(problem.message)", in: analysis,
                        span: problem.span, layer: node.id))
            }
        }
        for problem in analysis.config.configProblems {
            findings.append(finding("'\(problem.option)': \(problem.message)", in: analysis, span: problem.span))
        }
        return findings
    }
}
