import NetConfig

/// RL105 `unmask-padding-hazard`: an unmask (explicit or automatic) whose mask is true on padded frames.
public struct UnmaskPaddingHazardRule: Rule {
    public static let id = RuleID(code: "RL105", name: "unmask-padding-hazard")
    public static let severity = Severity.warning
    public static let documentation = RuleDocumentation(
        summary: "an unmask outside a loop uses a mask that is true on padded frames",
        what: """
            An unmask that runs outside a loop (an explicit top-level unmask, or the automatic unmask of a \
            masked_computation moved out of a rec loop) counts the mask with a cumsum over all frames, padding \
            included. The linter follows zero padding through the mask's layers (`compare`, logical `combine`/`eval`, \
            copies, a `reduce` over F, a choice's target) and reports masks that are provably true there, e.g. \
            `not_equal` to a class index on zero-padded labels, or `max over F <= 0` on zero-padded features.
            """,
        why: """
            RETURNN does not AND this mask with the sequence mask: a true value on padding indexes past T' and TF fails \
            with `indices[...] does not index into param shape` (verified on CPU). The same network without the loop \
            optimization does not fail, so the optimization is not opaque here.
            """,
        example: """
            "is_label": {"class": "compare", "from": "data:classes", "kind": "not_equal", "value": 0},   # true on padding? no: 0 == 0
            "emit": {"class": "compare", "from": "output", "kind": "not_equal", "value": 1030},         # true on padding
            """,
        fix: "AND the mask with the sequence mask (e.g. `seq_len_mask` or a `compare` with the length). No automatic fix.")

    public init() {}

    public func check(_ analysis: Analysis) -> [Finding] {
        let graph = analysis.graph
        var padding = PaddingAnalysis(graph: graph)
        var findings: [Finding] = []
        // Explicit unmask layers that really unmask outside a loop.
        for verdict in analysis.unmasks.verdicts where verdict.kind == .required && verdict.rec == nil {
            guard let mask = graph.reference(of: verdict.unmask, option: "mask"), padding.value(of: mask.target).isTrue else { continue }
            findings.append(
                finding(
                    "mask '\(mask.ref.raw)' of unmask '\(graph[verdict.unmask].name)' is true on padded frames; the unmask indexes past T' there",
                    in: analysis, span: mask.ref.span, layer: verdict.unmask,
                    notes: [Note("UnmaskLayer counts the mask without the sequence mask (RETURNN fails with 'does not index into param shape')")]))
        }
        // Automatic unmask of masked computations moved out of a loop (no masked_from).
        for node in graph.layers where node.className == "masked_computation" && node.isActive && analysis.isBuilt(node.id) {
            guard node.layer.option("masked_from")?.stringValue == nil,
                let (rec, plan) = analysis.dims.plan(containing: node.id, graph: graph)
            else { continue }
            let placement = plan.placement(of: LoopPlan.unitEntryName(node.id, unit: graph[rec].childScope ?? graph.root, graph: graph) ?? node.name)
            guard placement == .movedIn || placement == .movedOut,
                let mask = graph.reference(of: node.id, option: "mask"), padding.value(of: mask.target).isTrue
            else { continue }
            findings.append(
                finding(
                    "'\(node.name)' is moved out of the loop of '\(graph[rec].pathString)' and its mask '\(mask.ref.raw)' is true on padded frames; the automatic unmask indexes past T' there",
                    in: analysis, span: mask.ref.span, layer: node.id,
                    notes: [
                        Note("RETURNN unmasks a moved-out masked_computation automatically (PR #976) with the raw mask, padding included"),
                        Note("with optimize_move_layers_out: false the layer stays in the loop and the problem does not occur"),
                    ]))
        }
        return findings
    }
}
