import NetConfig

/// RL001 `unknown-reference`: a layer option names a layer (or data key) that does not exist where RETURNN
/// looks for it.
public struct UnknownReferenceRule: Rule {
    public static let id = RuleID(code: "RL001", name: "unknown-reference")
    public static let severity = Severity.error
    public static let documentation = RuleDocumentation(
        summary: "a layer refers to a layer or data key that does not exist",
        what: """
            Every layer reference (`from`, `mask`, `masked_from`, `initial_output`, `position`, `target: "layer:x"`, \
            …) is resolved the way RETURNN's `get_layer` does it: `base:` goes to the parent network, `prev:` and \
            `:i` exist only inside a rec unit, `data:source` is the rec layer's input, `data` inside a subnetwork \
            is the subnetwork's input, `x/y` is sub-layer `y` of `x`. A name that does not resolve is reported.
            """,
        why: """
            RETURNN builds layers lazily, starting from the outputs. A wrong name fails with `LayerNotFound` as soon \
            as the layer is built; in a layer that is never built (nothing uses it) the mistake sits silently until \
            someone starts using it.
            """,
        example: """
            "output": {"class": "rec", "from": "data", "unit": {
                "lm": {"class": "rec", "unit": "nativelstm2", "n_out": 512, "from": "lm_embed_unmask"},
                ...}}          # no layer 'lm_embed_unmask' in the unit
            """,
        fix: "Correct the name (a close match is suggested), or remove the layer. There is no automatic fix.")

    public init() {}

    public func check(_ analysis: Analysis) -> [Finding] {
        let graph = analysis.graph
        var findings: [Finding] = []
        var budget = Self.suggestionBudget
        for node in graph.layers where node.isActive {
            for (ref, target) in graph.references(of: node.id) {
                guard case .unresolved(let reason) = target, let message = message(for: reason, ref: ref, graph: graph)
                else { continue }
                var notes: [Note] = []
                if let hint = suggestion(for: reason, graph: graph, budget: &budget) { notes.append(Note("did you mean '\(hint)'?")) }
                findings.append(finding(message, in: analysis, span: ref.span, layer: node.id, notes: notes))
            }
        }
        // References into a rec unit from outside resolve, but RETURNN may not have the layer (loop plans needed).
        let intoUnits = graph.layers.filter { node in
            node.isActive && graph.references(of: node.id).contains { pair in
                if case .subLayer(let root, _, _) = pair.target { return LoopPlan.isPlanned(root, graph: graph) }
                return false
            }
        }
        for node in intoUnits where analysis.isBuilt(node.id) {
            for (ref, target) in graph.references(of: node.id) {
                guard
                    let problem = LoopPlan.unreachableUnitLayer(
                        target, readBy: node.id, plan: analysis.loopPlan(of:), optimized: { LoopPlan.isOptimized($0, graph: graph) }, graph: graph)
                else { continue }
                findings.append(finding("'\(ref.raw)' cannot be read from outside the rec layer: \(problem)", in: analysis, span: ref.span, layer: node.id))
            }
        }
        return findings
    }

    private func scopeDescription(_ scope: ScopeID, graph: NetworkGraph) -> String {
        guard let owner = graph[scope: scope].owner else { return "the network" }
        let kind = graph[scope: scope].kind == .recUnit ? "the unit of rec layer" : "subnetwork"
        return "\(kind) '\(graph[owner].pathString)'"
    }

    private func message(for reason: UnresolvedReason, ref: LayerRef, graph: NetworkGraph) -> String? {
        switch reason {
        case .noSuchLayer(let name, let scope):
            let written = ref.raw == name ? "" : " (in '\(ref.raw)')"
            return "layer '\(name)'\(written) does not exist in \(scopeDescription(scope, graph: graph))"
        case .noParentNetwork:
            return "'\(ref.raw)' goes past the top-level network with 'base:'"
        case .previousOutsideRecUnit:
            return "'\(ref.raw)' uses 'prev:', which exists only inside a rec unit"
        case .stepIndexOutsideRecUnit:
            return "':i' exists only inside a rec unit"
        case .noSuchSubLayer(let root, let name):
            return "layer '\(graph[root].pathString)' has no sub-layer '\(name)' (in '\(ref.raw)')"
        case .unknownDataKey(let key):
            return "data key '\(key)' (in '\(ref.raw)') is not declared in extern_data"
        case .extraNetwork:
            return nil
        }
    }

    private func suggestion(for reason: UnresolvedReason, graph: NetworkGraph, budget: inout Int) -> String? {
        guard budget > 0 else { return nil }
        let name: String
        let candidates: [String]
        switch reason {
        case .noSuchLayer(let missing, let scope):
            name = missing
            candidates = Array(graph[scope: scope].layerByName.keys)
        case .noSuchSubLayer(let root, let missing):
            name = missing
            let node = graph[root]
            let nested = node.childScope ?? node.maskedUnit.flatMap { graph[$0].childScope }
            candidates = nested.map { Array(graph[scope: $0].layerByName.keys) } ?? []
        case .unknownDataKey(let missing):
            name = missing
            candidates = Array(graph.knownDataKeys ?? [])
        default:
            return nil
        }
        return Self.closest(to: name, in: candidates, budget: &budget)
    }

    /// At most this much work (candidates looked at, plus edit-distance cells: name length × candidate length)
    /// is spent on "did you mean" notes in one file, so that thousands of wrong names among thousands of layers
    /// stay fast: once the budget is used up, names get no suggestion.
    static let suggestionBudget = 1_000_000

    static func closest(to name: String, in candidates: [String], budget: inout Int) -> String? {
        budget -= candidates.count  // looking at every candidate's length
        guard budget >= 0 else { return nil }
        let limit = max(2, name.count / 3)
        let length = name.unicodeScalars.count
        // The edit distance is at least the difference in length: skip candidates that cannot be close enough.
        let near = candidates.filter { abs($0.unicodeScalars.count - length) <= limit }
        let cost = near.reduce(0) { $0 + max(1, length * $1.unicodeScalars.count) }
        guard cost <= budget else { return nil }
        budget -= cost
        var best: (name: String, distance: Int)?
        for candidate in near {
            let distance = ReturnnLayerClasses.editDistance(name, candidate)
            guard distance <= limit else { continue }
            if let current = best, (current.distance, current.name) <= (distance, candidate) { continue }
            best = (candidate, distance)
        }
        return best?.name
    }
}
