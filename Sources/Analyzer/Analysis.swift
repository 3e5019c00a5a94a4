import NetConfig

/// Everything the Analyzer knows about one config: the resolved graph (and, as they are computed, the loop
/// plans and dims). Rules read an `Analysis`; nothing in it does file or terminal I/O.
public struct Analysis: Sendable {
    /// The IR.
    public let config: NetworkConfig
    /// Layers with resolved references.
    public let graph: NetworkGraph
    /// Loop plans and dims of every layer, as the config's `optimize_move_layers_out` says.
    public let dims: DimAnalysis
    /// The verdict on every `unmask` layer.
    public let unmasks: UnmaskAnalysis

    /// Analyses a config: resolves references, plans loops, infers dims and judges every unmask.
    public init(config: NetworkConfig) {
        self.config = config
        let graph = NetworkGraph(config: config)
        self.graph = graph
        let dims = DimAnalysis(graph: graph)
        self.dims = dims
        self.unmasks = UnmaskAnalysis(graph: graph, dims: dims)
    }

    /// False for layers RETURNN never builds because nothing in their rec unit needs them (and for
    /// everything nested in such a layer). Dims-based rules skip these.
    public func isBuilt(_ id: LayerID) -> Bool {
        var current = id
        while let (rec, plan) = dims.plan(containing: current, graph: graph) {
            let unit = graph[rec].childScope ?? graph.root
            guard let name = LoopPlan.unitEntryName(current, unit: unit, graph: graph) else { return true }
            if plan.placement(of: name) == .unused { return false }
            current = rec
        }
        return true
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
