import NetConfig

/// RL002 `missing-class`: a layer dict without a `class` (or a layer that is not a dict at all).
public struct MissingClassRule: Rule {
    public static let id = RuleID(code: "RL002", name: "missing-class")
    public static let severity = Severity.error
    public static let documentation = RuleDocumentation(
        summary: "a layer has no 'class', or is not a dict",
        what: "Every entry of a network dict (and every rec unit, subnetwork and masked unit) must be a dict with a string 'class'.",
        why: "RETURNN pops 'class' from the layer dict to find the layer type; without it the layer cannot be built.",
        example: #""lin": {"from": "data", "n_out": 3}    # no "class""#,
        fix: "Add the layer class, e.g. \"class\": \"linear\". There is no automatic fix.")

    public init() {}

    public func check(_ analysis: Analysis) -> [Finding] {
        var findings: [Finding] = []
        for node in analysis.graph.layers where node.isActive {
            // A mapping with a string class (nearly every layer) needs nothing else.
            if node.layer.className != nil, node.layer.isMapping { continue }
            let layer = node.layer
            let what = node.role == .entry ? "layer '\(layer.name)'" : "the unit of '\(layer.name)'"
            if !layer.isMapping {
                findings.append(
                    finding(
                        "\(what) must be a dict with a 'class', found \(layer.node.kindDescription)", in: analysis,
                        span: layer.node.span, layer: node.id))
            } else if let classNode = layer.classNode {
                if layer.className == nil {
                    findings.append(
                        finding(
                            "'class' of \(what) must be a string, found \(classNode.kindDescription)", in: analysis,
                            span: classNode.span, layer: node.id))
                }
            } else {
                findings.append(finding("\(what) has no 'class'", in: analysis, span: layer.nameSpan, layer: node.id))
            }
        }
        return findings
    }
}
