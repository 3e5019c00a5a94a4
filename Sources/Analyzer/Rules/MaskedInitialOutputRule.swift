import NetConfig

/// RL106 `masked-initial-output`: `initial_output` set on a masked_computation instead of its unit.
public struct MaskedInitialOutputRule: Rule {
    public static let id = RuleID(code: "RL106", name: "masked-initial-output")
    public static let severity = Severity.error
    public static let documentation = RuleDocumentation(
        summary: "initial_output on a masked_computation belongs in its unit",
        what: "A `masked_computation` layer with `initial_output`.",
        why: """
            RETURNN asks a masked_computation for its initial output only when its previous output is read \
            (`prev:masked`, inside the loop or shifted outside it) or when an `unmask` reads it directly over time \
            (both moved out of the loop); then it fails with `AssertionError: ... should be configured via the \
            unit`. Otherwise the option is silently ignored (all verified with real RETURNN). \
            The frames before the first true mask value take the unit's initial output.
            """,
        example: #""masked": {"class": "masked_computation", "initial_output": 1.0, "mask": "mask", "unit": {"class": "cumsum"}}"#,
        fix: "Move `initial_output` into the `unit` dict. There is no automatic fix yet.")

    public init() {}

    public func check(_ analysis: Analysis) -> [Finding] {
        let graph = analysis.graph
        var findings: [Finding] = []
        for node in graph.layers where node.className == "masked_computation" && node.isActive && analysis.isBuilt(node.id) {
            guard let entry = node.layer.optionEntry("initial_output"), !entry.value.isNull else { continue }
            // RETURNN asks the masked layer for its initial output only where its previous output is read
            // (`prev:masked`, in the loop or shifted outside it) or an unmask reads it over time — and then the
            // assertion fails (verified). Readers RETURNN never builds do not count.
            var f: Finding
            if let reader = LoopPlan.initialOutputReader(of: node.id, plan: analysis.loopPlan(of:), graph: graph) {
                let readerText: String
                if graph[reader].className == "unmask", !graph.references(of: reader).contains(where: { $0.target == .previous(node.id) }) {
                    readerText = "unmask '\(graph[reader].name)' reads it over time (moved out of the loop), which"
                } else {
                    let who = LoopPlan.isNested(reader, in: node.id, graph: graph) ? "its unit" : "'\(graph[reader].name)'"
                    readerText = "\(who) reads 'prev:\(node.name)', which"
                }
                f = finding(
                    "initial_output on masked_computation '\(node.name)' is refused by RETURNN: \(readerText) needs the initial output",
                    in: analysis, span: entry.key.span, layer: node.id,
                    notes: [
                        Note("RETURNN fails with AssertionError: ... 'masked', should be configured via the unit"),
                        Note("move 'initial_output' into the 'unit' dict"),
                    ])
            } else {
                f = finding(
                    "initial_output on masked_computation '\(node.name)' is silently ignored; it belongs in the unit",
                    in: analysis, span: entry.key.span, layer: node.id,
                    notes: [
                        Note("nothing reads 'prev:\(node.name)', so RETURNN never asks for it; the frames before the first true mask value take the unit's initial output"),
                        Note("move 'initial_output' into the 'unit' dict"),
                    ])
                f.severity = .warning
            }
            findings.append(f)
        }
        return findings
    }
}
