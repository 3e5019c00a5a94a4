import NetConfig

/// RL101 `unmask-redundant`: an `unmask` inside a rec unit that current RETURNN turns into a no-op.
public struct UnmaskRedundantRule: Rule {
    public static let id = RuleID(code: "RL101", name: "unmask-redundant")
    public static let severity = Severity.warning
    public static let documentation = RuleDocumentation(
        summary: "an unmask inside a rec unit is a no-op in current RETURNN",
        what: """
            An `unmask` layer inside a rec unit whose source comes from a `masked_computation` without `masked_from`. \
            If the masked layer stays in the loop, its per-frame output already keeps the previous frame where the \
            mask is false, and an unmask of a frame is the identity. If RETURNN moves it out of the loop, it runs over \
            T' = sum(mask) and unmasks itself back to the loop's T (RETURNN PR #976, March 2022), so the explicit \
            unmask gets a tensor that already has T and returns it unchanged.
            """,
        why: """
            Configs written before 2022 needed the unmask (RETURNN issue #769). Today it is dead weight that makes \
            the config look as if the user had to think about the loop optimization; removing it keeps the numbers \
            identical (verified against real RETURNN on the corpus).
            """,
        example: """
            "lm_masked": {"class": "masked_computation", "mask": "prev:output_emit", "from": "prev_out_non_blank", "unit": {...}},
            "lm_embed_unmask": {"class": "unmask", "from": "lm_masked", "mask": "prev:output_emit"},   # redundant
            "lm": {"class": "copy", "from": "lm_embed_unmask"}
            """,
        fix: """
            `--fix` deletes the unmask and points every consumer at its source (including references from outside \
            the unit such as "output/lm_embed_unmask"); an unmask named 'output' becomes a copy. The rewrite is \
            written only after the embedded evaluator shows both versions compute the same values.
            """)

    public init() {}

    public func check(_ analysis: Analysis) -> [Finding] {
        // An unmask that makes RETURNN ask its masked layer for a refused initial_output is not a no-op: the
        // network fails because of it (RL106 reports that; once the option moves into the unit, RL101 applies).
        analysis.unmasks.verdicts.filter { verdict in
            guard verdict.kind == .redundant else { return false }
            guard let masked = verdict.masked, let initial = analysis.graph[masked].layer.option("initial_output"), !initial.isNull else { return true }
            return LoopPlan.initialOutputReader(of: masked, plan: analysis.loopPlan(of:), graph: analysis.graph) != verdict.unmask
        }.map { verdict in
            let node = analysis.graph[verdict.unmask]
            var message = "unmask '\(node.name)' is a no-op in current RETURNN"
            if let masked = verdict.masked { message += ": '\(analysis.graph[masked].name)' is not masked_from" }
            let notes = [Note(verdict.reason)] + verdict.notes.map { Note($0) }
            return finding(message, in: analysis, span: node.layer.nameSpan, layer: verdict.unmask, notes: notes,
                           fix: RedundantUnmaskFix.make(for: verdict, in: analysis))
        }
    }
}
