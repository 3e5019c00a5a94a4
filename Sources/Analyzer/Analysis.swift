import NetConfig
import Synchronization

/// Everything the Analyzer knows about one config: the resolved graph (and, as they are computed, the loop
/// plans and dims). Rules read an `Analysis`; nothing in it does file or terminal I/O.
public struct Analysis: Sendable {
    /// The IR.
    public let config: NetworkConfig
    /// Layers with resolved references.
    public let graph: NetworkGraph
    private let derived: Derived

    /// Loop plans and dims of every layer, as the config's `optimize_move_layers_out` says (computed on first
    /// use: a network without masked computations and unmasks needs none for `check`).
    public var dims: DimAnalysis { derived.dims(graph) }
    /// The verdict on every `unmask` layer.
    public var unmasks: UnmaskAnalysis { derived.unmasks(graph) }
    /// The loop plan of a rec layer (with a dict unit), as the config's `optimize_move_layers_out` says — made on
    /// first request and without dims, so rules that only ask where some unit's layers end up pay for that unit.
    public func loopPlan(of rec: LayerID) -> LoopPlan? { derived.plan(of: rec, graph: graph) }
    /// True once `dims` was computed (for tests: which rules need dim inference).
    public var hasComputedDims: Bool { derived.hasDims }

    /// Analyses a config: resolves references; loop plans, dims and unmask verdicts follow when first asked for.
    public init(config: NetworkConfig) {
        self.config = config
        self.graph = NetworkGraph(config: config)
        self.derived = Derived()
    }

    /// The parts of an analysis computed on first use, shared by copies of the `Analysis`.
    private final class Derived: Sendable {
        private let state = Mutex<(dims: DimAnalysis?, unmasks: UnmaskAnalysis?, plans: [LayerID: LoopPlan])>((nil, nil, [:]))

        var hasDims: Bool { state.withLock { $0.dims != nil } }

        func plan(of rec: LayerID, graph: NetworkGraph) -> LoopPlan? {
            guard LoopPlan.isPlanned(rec, graph: graph) else { return nil }
            return state.withLock { state in
                if let known = state.dims?.plans[rec] ?? state.plans[rec] { return known }
                let plan = LoopPlan(rec: rec, graph: graph, optimize: nil)
                state.plans[rec] = plan
                return plan
            }
        }

        func dims(_ graph: NetworkGraph) -> DimAnalysis {
            state.withLock { state in
                if let known = state.dims { return known }
                // Plans rules already made are reused; the others are made now.
                let dims = DimAnalysis(graph: graph, plans: LoopPlan.all(in: graph, reusing: state.plans))
                state.dims = dims
                return dims
            }
        }

        func unmasks(_ graph: NetworkGraph) -> UnmaskAnalysis {
            if let known = state.withLock({ $0.unmasks }) { return known }
            let hasUnmasks = graph.layers.contains { $0.className == "unmask" && $0.isActive }
            let unmasks = hasUnmasks ? UnmaskAnalysis(graph: graph, dims: dims(graph)) : UnmaskAnalysis(verdicts: [])
            state.withLock { $0.unmasks = unmasks }
            return unmasks
        }
    }

    /// False for layers RETURNN never builds because nothing in their rec unit needs them (and for
    /// everything nested in such a layer). Dims-based rules skip these.
    public func isBuilt(_ id: LayerID) -> Bool {
        LoopPlan.isBuilt(id, plan: loopPlan(of:), graph: graph)
    }

    /// The source text the config was read from.
    public var source: SourceText { config.document.source }

    /// Runs rules and returns their findings in report order.
    public func findings(rules: [any Rule.Type] = RuleRegistry.all) -> [Finding] {
        var result: [Finding] = []
        for rule in rules { result += rule.init().check(self) }
        return result.sorted(by: Finding.reportOrder)
    }
}
