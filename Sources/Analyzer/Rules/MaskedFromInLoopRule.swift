import NetConfig

/// RL109 `masked-from-in-loop`: a masked_computation with `masked_from` that RETURNN keeps inside a rec loop.
public struct MaskedFromInLoopRule: Rule {
    public static let id = RuleID(code: "RL109", name: "masked-from-in-loop")
    public static let severity = Severity.error
    public static let documentation = RuleDocumentation(
        summary: "a masked_computation with masked_from that stays inside the loop",
        what: """
            A `masked_computation` with `masked_from` inside a rec unit that the loop plan keeps in the loop: the \
            loop optimization is off (`optimize_move_layers_out: false` in the config or on the rec layer), or the \
            layer depends on something that changes per step.
            """,
        why: """
            With `masked_from`, RETURNN builds the layer only outside a loop (`assert not \
            self.network.is_inside_rec_layer()`, rec.py:9176): it must be moved out of the loop as an input layer. \
            Kept inside, the network fails to build (verified with real RETURNN for the config-wide and the \
            per-rec-layer switch).
            """,
        example: """
            "optimize_move_layers_out": false,
            ... "masked": {"class": "masked_computation", "mask": "mask", "masked_from": "base:masked_top", "unit": {"class": "copy"}}
            """,
        fix: "Turn the loop optimization on for this rec layer, or compute the masked layer outside the loop. There is no automatic fix.")

    public init() {}

    public func check(_ analysis: Analysis) -> [Finding] {
        let graph = analysis.graph
        var findings: [Finding] = []
        for node in graph.layers where node.className == "masked_computation" && node.isActive {
            guard let entry = node.layer.optionEntry("masked_from"), entry.value.stringValue != nil,
                let rec = LoopPlan.recUnitOwner(of: node.id, graph: graph), let unit = graph[rec].childScope,
                let plan = analysis.loopPlan(of: rec),
                let unitEntry = LoopPlan.unitEntryName(node.id, unit: unit, graph: graph),
                plan.placement(of: unitEntry) == .inLoop, analysis.isBuilt(node.id)
            else { continue }
            let why =
                plan.optimized
                ? "it depends on a layer that changes per step, so the loop plan keeps it in the loop"
                : "the loop optimization is off for '\(graph[rec].pathString)' (optimize_move_layers_out), so nothing leaves the loop"
            findings.append(
                finding(
                    "masked_computation '\(node.name)' uses masked_from but stays inside the loop of '\(graph[rec].pathString)'; RETURNN refuses to build it",
                    in: analysis, span: entry.key.span, layer: node.id,
                    notes: [
                        Note(why),
                        Note("with masked_from, RETURNN builds the layer only outside a loop (AssertionError: assert not self.network.is_inside_rec_layer())"),
                    ]))
        }
        return findings
    }
}
