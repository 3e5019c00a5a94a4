import NetConfig

/// RL103 `unmask-on-masked-computation`: an unmask directly on a masked_computation (or on its sub-layer, over
/// time) outside a rec loop, which RETURNN cannot build.
public struct UnmaskOnMaskedComputationRule: Rule {
    public static let id = RuleID(code: "RL103", name: "unmask-on-masked-computation")
    public static let severity = Severity.error
    public static let documentation = RuleDocumentation(
        summary: "an unmask directly on a masked_computation (or its sub-layer) outside a rec loop crashes RETURNN",
        what: """
            An `unmask` outside any rec unit (top level or a plain subnetwork) whose `from` is a `masked_computation` \
            layer itself; and an `unmask` whose `from` is a sub-layer of a masked_computation (`masked/x`) that it \
            reads over time (at top level, or both moved out of a rec loop).
            """,
        why: """
            UnmaskLayer asks its source for its initial output. MaskedComputationLayer needs a rec layer for that: \
            RETURNN fails with `AttributeError: 'NoneType' object has no attribute 'cell'`; a masked sub-layer \
            cannot give one either: `'NoneType' object has no attribute 'copy'` (both verified). Unmasking only \
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
                Note("insert a 'copy' of '\(source?.ref.raw ?? maskedName)' and unmask that; frames before the first true mask value then become the copy's initial_output (0 by default)"),
            ]
            var message = "unmask '\(node.name)' directly on masked_computation '\(maskedName)' crashes RETURNN outside a rec loop"
            if let source, case .subLayer = source.target {
                message = "unmask '\(node.name)' on '\(source.ref.raw)', a sub-layer of masked_computation '\(maskedName)', crashes RETURNN when it reads it over time"
            }
            return finding(
                message,
                in: analysis, span: source?.ref.span ?? node.layer.nameSpan, layer: verdict.unmask, notes: notes,
                fix: InsertCopyFix.make(for: verdict, in: analysis))
        }
    }
}
