import NetConfig

/// RL108 `unused-unmask`: an unmask layer that nothing uses.
public struct UnusedUnmaskRule: Rule {
    public static let id = RuleID(code: "RL108", name: "unused-unmask")
    public static let severity = Severity.warning
    public static let documentation = RuleDocumentation(
        summary: "an unmask layer that nothing uses",
        what: "An `unmask` layer that no layer references and that is not an output (`output`, `is_output_layer`, `loss`, `need_last`).",
        why: "RETURNN builds layers lazily from the outputs, so the layer is never built; it is usually left over from an edit.",
        example: #""prev_label_unmask": {"class": "unmask", "from": "prev_label_masked", "mask": "prev:output_emit"}   # nothing reads it"#,
        fix: "`--fix` deletes the layer (verified: the outputs cannot change).")

    public init() {}

    public func check(_ analysis: Analysis) -> [Finding] {
        // An unmask that RETURNN never builds but another layer reads (from outside its rec unit) is not unused:
        // that reader fails (RL001). Readers RETURNN never builds either do not count.
        let unused = Set(analysis.unmasks.verdicts.filter { $0.kind == .unused }.map(\.unmask))
        return analysis.unmasks.verdicts.filter { verdict in
            verdict.kind == .unused
                && !analysis.graph.referrers(of: verdict.unmask).contains { !unused.contains($0.layer) && analysis.isBuilt($0.layer) }
        }.map { verdict in
            let node = analysis.graph[verdict.unmask]
            return finding(
                "unmask '\(node.name)' is never used", in: analysis, span: node.layer.nameSpan, layer: verdict.unmask,
                notes: [Note(verdict.reason)], fix: DeleteLayerFix.make(for: verdict.unmask, in: analysis))
        }
    }
}
