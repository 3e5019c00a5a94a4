import NetConfig

/// RL104 `unmask-mask-mismatch`: an unmask whose mask is not the mask of the masked computation it undoes.
public struct UnmaskMaskMismatchRule: Rule {
    public static let id = RuleID(code: "RL104", name: "unmask-mask-mismatch")
    public static let severity = Severity.warning
    public static let documentation = RuleDocumentation(
        summary: "an unmask uses another mask than the masked_computation it undoes",
        what: "The `mask` of an `unmask` is compared with the `mask` of the masked_computation found along its source chain.",
        why: """
            UnmaskLayer never checks that the masks agree: where it really unmasks (top level, masked_from) a different \
            mask silently gives wrong frames. Where it is a no-op today, the mismatch is harmless but misleading.
            """,
        example: """
            "masked": {"class": "masked_computation", "mask": "mask_a", ...},
            "copy": {"class": "copy", "from": "masked"},
            "unmasked": {"class": "unmask", "from": "copy", "mask": "mask_b"}
            """,
        fix: "Use the masked_computation's mask. There is no automatic fix.")

    public init() {}

    public func check(_ analysis: Analysis) -> [Finding] {
        let graph = analysis.graph
        var findings: [Finding] = []
        for verdict in analysis.unmasks.verdicts where verdict.kind != .unused {
            guard let masked = verdict.masked, let unmaskMask = graph.reference(of: verdict.unmask, option: "mask"),
                let maskedMask = graph.reference(of: masked, option: "mask")
            else { continue }
            if Self.sameLayer(unmaskMask.target, maskedMask.target) { continue }
            var finding = finding(
                "unmask '\(graph[verdict.unmask].name)' uses mask '\(unmaskMask.ref.raw)' but '\(graph[masked].name)' was masked with '\(maskedMask.ref.raw)'",
                in: analysis, span: unmaskMask.ref.span, layer: verdict.unmask,
                notes: [
                    Note("'\(graph[masked].name)' takes its mask here", span: maskedMask.ref.span),
                    Note(verdict.kind == .required ? "this unmask really unmasks: the frames come out wrong" : "the unmask is a no-op today, so the mismatch has no effect yet"),
                ])
            if verdict.kind == .required { finding.severity = .error }
            findings.append(finding)
        }
        return findings
    }

    /// True when two resolved references name the same value (same layer and frame, or the same data).
    static func sameLayer(_ a: ResolvedRef, _ b: ResolvedRef) -> Bool {
        switch (a, b) {
        case (.layer(let x), .layer(let y)), (.previous(let x), .previous(let y)): return x == y
        default: return a == b
        }
    }
}
