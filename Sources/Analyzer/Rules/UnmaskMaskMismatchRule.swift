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
            if Self.sameLayer(unmaskMask.target, maskedMask.target, graph: graph) { continue }
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

    /// True when two resolved references give the same mask values: the same layer and frame, the same data,
    /// the same layer through value-preserving copies, or two parameter-free layers defined alike on the same
    /// values (verified with the oracle: a `copy` of the mask and a second identical `compare` both unmask
    /// exactly like the mask itself).
    static func sameLayer(_ a: ResolvedRef, _ b: ResolvedRef, graph: NetworkGraph) -> Bool {
        var budget = 256
        return sameValue(a, b, graph: graph, budget: &budget)
    }

    /// `sameLayer` with a bound on the layer pairs compared (definitions can fan out over many sources).
    private static func sameValue(_ a: ResolvedRef, _ b: ResolvedRef, graph: NetworkGraph, budget: inout Int) -> Bool {
        let a = throughCopies(a, graph: graph)
        let b = throughCopies(b, graph: graph)
        switch (a, b) {
        case (.layer(let x), .layer(let y)), (.previous(let x), .previous(let y)):
            if x == y { return true }
            guard budget > 0 else { return false }
            budget -= 1
            return definedAlike(x, y, graph: graph, budget: &budget)
        default:
            return a == b
        }
    }

    /// Layer classes whose output is their single source's values, unchanged.
    static let valuePreservingClasses: Set<String> = ["copy", "identity", "scaled_grad", "print", "reinterpret_data"]

    /// Deterministic layer classes without parameters: two of them with equal options on equal inputs are equal.
    static let parameterFreeClasses: Set<String> = [
        "compare", "reduce", "combine", "activation", "cast", "seq_len_mask", "length", "constant", "eval", "squeeze",
        "expand_dims", "slice", "range_in_axis", "switch",
    ]

    private static func throughCopies(_ ref: ResolvedRef, graph: NetworkGraph) -> ResolvedRef {
        var current = ref
        for _ in 0..<64 {
            guard case .layer(let id) = current, let className = graph[id].className, valuePreservingClasses.contains(className),
                let options = graph[id].layer.node.entries,
                options.allSatisfy({ ["class", "from"].contains($0.key.stringValue ?? "") }),
                graph.sources(of: id).count == 1, let source = graph.sources(of: id).first
            else { return current }
            current = source.target
        }
        return current
    }

    private static func definedAlike(_ x: LayerID, _ y: LayerID, graph: NetworkGraph, budget: inout Int) -> Bool {
        let a = graph[x], b = graph[y]
        guard a.scope == b.scope, let className = a.className, className == b.className, parameterFreeClasses.contains(className),
            let aEntries = a.layer.node.entries, let bEntries = b.layer.node.entries
        else { return false }
        func options(_ entries: [ConfigEntry]) -> [String: PlainValue]? {
            var result: [String: PlainValue] = [:]
            for entry in entries {
                guard let key = entry.key.stringValue else { return nil }
                if key != "from" { result[key] = entry.value.plain }
            }
            return result
        }
        guard let aOptions = options(aEntries), let bOptions = options(bEntries), aOptions == bOptions else { return false }
        // An eval that draws random numbers gives two different masks.
        if className == "eval", a.layer.option("eval")?.stringValue?.contains("random") != false { return false }
        let aSources = graph.sources(of: x), bSources = graph.sources(of: y)
        guard aSources.count == bSources.count else { return false }
        for (p, q) in zip(aSources, bSources) where !sameValue(p.target, q.target, graph: graph, budget: &budget) { return false }
        return true
    }
}
