import NetConfig

/// RL103 `unmask-on-masked-computation`: a top-level unmask directly on a masked_computation, which RETURNN
/// cannot build.
public struct UnmaskOnMaskedComputationRule: Rule {
    public static let id = RuleID(code: "RL103", name: "unmask-on-masked-computation")
    public static let severity = Severity.error
    public static let documentation = RuleDocumentation(
        summary: "an unmask directly on a masked_computation outside a rec loop crashes RETURNN",
        what: "An `unmask` outside any rec unit (top level or a plain subnetwork) whose `from` is a `masked_computation` layer itself.",
        why: """
            UnmaskLayer asks its source for its initial output, and MaskedComputationLayer needs a rec layer for that: \
            RETURNN fails with `AttributeError: 'NoneType' object has no attribute 'cell'` (verified). Unmasking only \
            works there when the source is another layer, e.g. a `copy` of the masked output.
            """,
        example: """
            "masked": {"class": "masked_computation", "from": "data", "mask": "data:mask", "unit": {"class": "copy"}},
            "unmasked": {"class": "unmask", "from": "masked", "mask": "data:mask"}     # crashes
            """,
        fix: """
            Insert a `copy` between them (an unsafe fix: the original cannot run, so nothing can be verified). The \
            frames before the first true mask value then take the copy's `initial_output` (0 by default), not the \
            masked unit's.
            """)

    public init() {}

    public func check(_ analysis: Analysis) -> [Finding] {
        analysis.unmasks.verdicts.filter { $0.kind == .crashes }.map { verdict in
            let graph = analysis.graph
            let node = graph[verdict.unmask]
            let source = graph.sources(of: verdict.unmask).first
            let maskedName = verdict.masked.map { graph[$0].name } ?? source?.ref.raw ?? "?"
            let notes = [
                Note(verdict.reason),
                Note("insert a 'copy' of '\(maskedName)' and unmask that; frames before the first true mask value then become the copy's initial_output (0 by default)"),
            ]
            return finding(
                "unmask '\(node.name)' directly on masked_computation '\(maskedName)' crashes RETURNN outside a rec loop",
                in: analysis, span: source?.ref.span ?? node.layer.nameSpan, layer: verdict.unmask, notes: notes,
                fix: InsertCopyFix.make(for: verdict, in: analysis))
        }
    }
}
