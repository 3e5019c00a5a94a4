import NetConfig

/// One layer in one context, with its inferred dims: a row of `returnn-lint dims`.
public struct DimEntry: Sendable {
    /// The layer.
    public let layer: LayerID
    /// The path notation of the conformance goldens: `lin`, `sub/x`, `output/[loop]/x`, `output/[in]/x`,
    /// `output/[out]/x`, `m/[unit]` (`output/[unused]/x` for unit layers RETURNN never builds).
    public let path: String
    /// The context name: `top`, `rec-loop`, `rec-moved-in`, `rec-moved-out` (+ `-subnet`), or `unused`.
    public let whereName: String
    /// The layer class.
    public let className: String?
    /// The inferred template (or why it is unknown, or why RETURNN would refuse the layer).
    public let result: TemplateResult
    /// For a layer kept in a loop: the dependency chain that pins it.
    public let pinnedBy: [String]?
    /// How deep the layer is nested (0 at top level), for indentation.
    public let depth: Int
}

/// Loop plans and dims of every layer of a config.
public struct DimAnalysis: Sendable {
    /// The loop plan of every rec layer with a dict unit.
    public let plans: [LayerID: LoopPlan]
    /// One entry per layer (in its real context), in source order, nested layers after their parent.
    public let entries: [DimEntry]
    private let resultsByLayer: [TemplateResult]
    private let frameResults: [TemplateResult?]
    private let inputResults: [[TemplateResult]]
    private let maskedAxes: [LayerID: (inSpatial: Dim, outSpatial: Dim)]
    private let loopTimeDims: [LayerID: Dim]

    /// Plans every rec loop and infers every layer's dims.
    ///
    /// - Parameter optimize: overrides `optimize_move_layers_out` for every rec layer (`--no-optimize` = false).
    public init(graph: NetworkGraph, optimize: Bool? = nil) {
        self.init(graph: graph, plans: LoopPlan.all(in: graph, optimize: optimize))
    }

    /// Infers every layer's dims with loop plans already made (`LoopPlan.all`).
    init(graph: NetworkGraph, plans: [LayerID: LoopPlan]) {
        self.plans = plans
        let engine = TemplateEngine(graph: graph, plans: plans)
        for pass in 0..<3 {
            if pass > 0 {
                guard engine.usedPending else { break }
                engine.startNextPass()
            }
            Self.evaluate(graph: graph, plans: plans, engine: engine)
        }
        var results: [TemplateResult] = []
        results.reserveCapacity(graph.layers.count)
        var frames = [TemplateResult?](repeating: nil, count: graph.layers.count)
        for node in graph.layers {
            var result = engine.actualTemplate(node.id)
            if let rec = engine.recUnitOwner(node.id) {
                let frame = engine.template(node.id, loops: engine.actualLoops(rec) + [rec])
                frames[node.id.index] = frame
                // RETURNN builds every unit layer's template inside the loop first, also for layers it then
                // moves out: a layer whose per-frame template fails stops the construction in every mode.
                if case .failed = frame, result.failure == nil, LoopPlan.isBuilt(node.id, plans: plans, graph: graph) {
                    result = frame
                }
            }
            results.append(result)
        }
        self.resultsByLayer = results
        self.frameResults = frames
        // What every reference gives its layer, in the layer's real context (rules explain with these).
        var inputs: [[TemplateResult]] = []
        inputs.reserveCapacity(graph.layers.count)
        var masked: [LayerID: (Dim, Dim)] = [:]
        var loopDims: [LayerID: Dim] = [:]
        for node in graph.layers {
            let loops = engine.actualLoops(node.id)
            inputs.append(graph.references(of: node.id).map { engine.input($0.target, ref: $0.ref, consumer: node.id, loops: loops) })
            if node.className == "masked_computation", loops.isEmpty, let axes = engine.maskedDims(node.id, loops: loops) {
                masked[node.id] = axes
            }
            if plans[node.id] != nil, let time = engine.loopDim(node.id) { loopDims[node.id] = time }
        }
        self.inputResults = inputs
        self.maskedAxes = masked
        self.loopTimeDims = loopDims
        self.entries = Self.makeEntries(graph: graph, plans: plans, engine: engine, results: results)
    }

    /// What each reference of a layer gives it in the layer's real context, parallel to
    /// `NetworkGraph.references(of:)`.
    public func inputs(of id: LayerID) -> [TemplateResult] { inputResults.indices.contains(id.index) ? inputResults[id.index] : [] }

    /// T (the masked axis) and T' of a masked_computation that runs outside a loop.
    public func maskedAxes(of id: LayerID) -> (inSpatial: Dim, outSpatial: Dim)? { maskedAxes[id] }

    /// The time dim of a rec layer's loop.
    public func loopDim(of rec: LayerID) -> Dim? { loopTimeDims[rec] }

    /// The loop plan of the rec unit a layer belongs to (directly, or through masked units and
    /// subnetworks), with the rec layer.
    public func plan(containing id: LayerID, graph: NetworkGraph) -> (rec: LayerID, plan: LoopPlan)? {
        LoopPlan.enclosing(id, plans: plans, graph: graph)
    }

    /// The template of a layer in its real context.
    public func result(for id: LayerID) -> TemplateResult {
        resultsByLayer.indices.contains(id.index) ? resultsByLayer[id.index] : .unknown("not analysed")
    }

    /// The per-frame template of a layer of a rec unit (as RETURNN's template construction sees it).
    public func frameResult(for id: LayerID) -> TemplateResult? { frameResults.indices.contains(id.index) ? frameResults[id.index] : nil }

    /// Evaluates templates in RETURNN's construction order: each rec unit from `output`, `end`, loss and
    /// output layers first (this decides how `prev:` cycles resolve), then everything in dependency order.
    private static func evaluate(graph: NetworkGraph, plans: [LayerID: LoopPlan], engine: TemplateEngine) {
        for rec in plans.keys.sorted() {
            guard let scope = graph[rec].childScope else { continue }
            let inner = engine.actualLoops(rec) + [rec]
            for name in plans[rec]?.neededOutputs ?? [] {
                if let id = graph[scope: scope].layerByName[name] { _ = engine.template(id, loops: inner) }
            }
        }
        for id in evaluationOrder(graph) { _ = engine.actualTemplate(id) }
    }

    /// Layers in dependency order (inputs first), computed without recursion so that long chains of
    /// layers cannot overflow the stack during inference.
    static func evaluationOrder(_ graph: NetworkGraph) -> [LayerID] {
        var order: [LayerID] = []
        var state = [UInt8](repeating: 0, count: graph.layers.count)  // 0 new, 1 open, 2 done
        for start in graph.layers.indices where state[start] == 0 {
            var stack: [(LayerID, Bool)] = [(LayerID(index: start), false)]
            while let (id, expanded) = stack.popLast() {
                if expanded {
                    if state[id.index] != 2 {
                        state[id.index] = 2
                        order.append(id)
                    }
                    continue
                }
                guard state[id.index] == 0 else { continue }
                state[id.index] = 1
                stack.append((id, true))
                for (ref, target) in graph.references(of: id) where !ref.isPrev {
                    if let dep = target.layerID, state[dep.index] == 0 { stack.append((dep, false)) }
                }
                let node = graph[id]
                if let unit = node.maskedUnit, state[unit.index] == 0 { stack.append((unit, false)) }
                if let scope = node.childScope, let output = graph[scope: scope].layerByName["output"], state[output.index] == 0 {
                    stack.append((output, false))
                }
            }
        }
        return order
    }

    // MARK: - Entries

    private static func makeEntries(
        graph: NetworkGraph, plans: [LayerID: LoopPlan], engine: TemplateEngine, results: [TemplateResult]
    ) -> [DimEntry] {
        var entries: [DimEntry] = []
        func visit(scope: ScopeID, prefix: String, whereName: String, depth: Int) {
            let graphScope = graph[scope: scope]
            for id in graphScope.layers where graph[id].isEffective && !graph[id].layer.isIgnored {
                let node = graph[id]
                var path = prefix.isEmpty ? node.name : "\(prefix)/\(node.name)"
                var layerWhere = whereName
                var pinned: [String]?
                if graphScope.kind == .recUnit, let owner = graphScope.owner, let plan = plans[owner] {
                    let placement = plan.placement(of: node.name)
                    let tag: String
                    switch placement {
                    case .inLoop: tag = "[loop]"; layerWhere = "rec-loop"
                    case .movedIn: tag = "[in]"; layerWhere = "rec-moved-in"
                    case .movedOut: tag = "[out]"; layerWhere = "rec-moved-out"
                    case .unused: tag = "[unused]"; layerWhere = "unused"
                    }
                    path = "\(prefix)/\(tag)/\(node.name)"
                    if placement == .inLoop, plan.optimized { pinned = plan.pinnedBy[node.name] }
                }
                let result = layerWhere == "unused" ? TemplateResult.unknown("never built") : results[id.index]
                entries.append(
                    DimEntry(layer: id, path: path, whereName: layerWhere, className: node.className, result: result, pinnedBy: pinned, depth: depth))
                if let unit = node.maskedUnit {
                    let unitResult = layerWhere == "unused" ? TemplateResult.unknown("never built") : results[unit.index]
                    entries.append(
                        DimEntry(layer: unit, path: "\(path)/[unit]", whereName: layerWhere, className: graph[unit].className, result: unitResult, pinnedBy: nil, depth: depth + 1))
                    if let unitScope = graph[unit].childScope {
                        visit(scope: unitScope, prefix: "\(path)/[unit]", whereName: subnetWhere(layerWhere), depth: depth + 2)
                    }
                }
                if let child = node.childScope {
                    let childWhere = graph[scope: child].kind == .subnetwork ? subnetWhere(layerWhere) : layerWhere
                    visit(scope: child, prefix: path, whereName: childWhere, depth: depth + 1)
                }
            }
        }
        visit(scope: graph.root, prefix: "", whereName: "top", depth: 0)
        return entries
    }

    private static func subnetWhere(_ name: String) -> String {
        name.hasSuffix("-subnet") || name == "unused" ? name : name + "-subnet"
    }
}
