import NetConfig

/// RL003 `unknown-class`: a layer class that RETURNN does not register.
public struct UnknownClassRule: Rule {
    public static let id = RuleID(code: "RL003", name: "unknown-class")
    public static let severity = Severity.error
    public static let documentation = RuleDocumentation(
        summary: "a layer class that RETURNN does not know",
        what: "The 'class' of every layer is checked against the 152 layer classes (aliases included) that RETURNN registers.",
        why: "RETURNN fails with \"unknown layer class\" when it builds the layer. Custom classes registered by a config's Python code are reported too: the linter cannot see them.",
        example: #""out": {"class": "sofmax", "from": "lstm", "n_out": 10}"#,
        fix: "Correct the class name (a close match is suggested). There is no automatic fix.")

    public init() {}

    public func check(_ analysis: Analysis) -> [Finding] {
        var findings: [Finding] = []
        for node in analysis.graph.layers where node.isActive {
            guard let name = node.layer.className, let classNode = node.layer.classNode,
                !ReturnnLayerClasses.all.contains(name)
            else { continue }
            var notes: [Note] = []
            if let suggestion = ReturnnLayerClasses.suggestion(for: name) {
                notes.append(Note("did you mean '\(suggestion)'?"))
            }
            findings.append(
                finding(
                    "unknown layer class '\(name)' in layer '\(node.layer.name)'", in: analysis, span: classNode.span,
                    layer: node.id, notes: notes))
        }
        return findings
    }
}
