import NetConfig

/// Where a layer of a rec unit ends up after RETURNN's loop optimization (`_move_outside_loop`).
public enum LoopPlacement: String, Sendable, Hashable, Codable {
    /// Computed step by step inside the loop.
    case inLoop = "in-loop"
    /// Moved out to the input side: computed over the whole sequence before the loop.
    case movedIn = "moved-in"
    /// Moved out to the output side: computed over the whole sequence after the loop.
    case movedOut = "moved-out"
    /// Not reachable from the unit's needed outputs: never built.
    case unused
}

/// A dependency edge between two nodes of a rec unit's template graph.
public struct PlanEdge: Hashable, Sendable {
    /// The node depended on (a layer name, `:i`, or a sub-layer path `x/y`).
    public var target: String
    /// True when the dependency is on the previous frame (`prev:x`).
    public var isPrevious: Bool

    /// The edge as written: `prev:x` or `x`.
    public var label: String { isPrevious ? "prev:\(target)" : target }
}

/// RETURNN's plan for one rec layer with a subnetwork unit: which layers stay in the loop and which move out.
public struct LoopPlan: Sendable {
    /// The rec layer.
    public let rec: LayerID
    /// True when `optimize_move_layers_out` is on (from the rec layer, else the config; default on).
    public let optimized: Bool
    /// The unit's needed outputs (`output`, `is_output_layer`, `need_last`, `end` when the length is unknown).
    public let neededOutputs: [String]
    /// The dependencies of every node of the unit (layers, `:i`, sub-layer paths).
    public let dependencies: [String: [PlanEdge]]
    /// Names in the loop, moved in and moved out, in RETURNN's order.
    public let layersInLoop: [String]
    public let inputLayersMovedOut: [String]
    public let outputLayersMovedOut: [String]
    /// For each layer kept in the loop (when optimized): the chain of dependencies that pins it.
    public let pinnedBy: [String: [String]]

    /// `placement(of:)` by name (rules ask for every layer: scanning the arrays would be quadratic).
    private let placements: [String: LoopPlacement]

    /// Where a node of the unit ended up.
    public func placement(of name: String) -> LoopPlacement {
        placements[name] ?? .unused
    }

    /// The placement index: in the loop before moved in before moved out, as `placement(of:)` always answered.
    private static func placements(inLoop: [String], movedIn: [String], movedOut: [String]) -> [String: LoopPlacement] {
        var result: [String: LoopPlacement] = [:]
        for name in movedOut { result[name] = .movedOut }
        for name in movedIn { result[name] = .movedIn }
        for name in inLoop { result[name] = .inLoop }
        return result
    }

    /// Computes the plan for rec layer `rec` (which must have a dict unit).
    ///
    /// - Parameter optimize: overrides the config's `optimize_move_layers_out` when given (`--no-optimize`, the
    ///   oracle's modes); a rec layer's own `optimize_move_layers_out` still wins, as in RETURNN (rec.py:196-198).
    public init(rec: LayerID, graph: NetworkGraph, optimize: Bool? = nil) {
        self.rec = rec
        let recLayer = graph[rec].layer
        let configDefault = graph.config.setting("optimize_move_layers_out")?.boolValue ?? true
        let optimized = recLayer.option("optimize_move_layers_out")?.boolValue ?? optimize ?? configDefault
        self.optimized = optimized
        guard let unitScope = graph[rec].childScope else {
            self.neededOutputs = []
            self.dependencies = [:]
            self.layersInLoop = []
            self.inputLayersMovedOut = []
            self.outputLayersMovedOut = []
            self.placements = LoopPlan.placements(inLoop: layersInLoop, movedIn: inputLayersMovedOut, movedOut: outputLayersMovedOut)
            self.pinnedBy = [:]
            return
        }
        let deps = LoopPlan.templateDependencies(unit: unitScope, rec: rec, graph: graph)
        self.dependencies = deps
        let needed = LoopPlan.neededOutputs(unit: unitScope, rec: rec, graph: graph)
        self.neededOutputs = needed

        // L: nodes reachable from the needed outputs, depth-first pre-order (rec.py:3990-4004).
        var order: [String] = []
        var seen = Set<String>()
        func visit(_ names: [String]) {
            // Pre-order depth-first, iteratively (a unit can have a thousand chained layers).
            var stack: [(names: [String], next: Int)] = [(names, 0)]
            while !stack.isEmpty {
                let top = stack.count - 1
                guard stack[top].next < stack[top].names.count else {
                    stack.removeLast()
                    continue
                }
                let name = stack[top].names[stack[top].next]
                stack[top].next += 1
                guard !seen.contains(name), deps[name] != nil else { continue }
                seen.insert(name)
                order.append(name)
                stack.append((deps[name, default: []].map(\.target), 0))
            }
        }
        visit(needed)

        guard optimized else {
            // Without optimization every constructed template stays in the loop: RETURNN also constructs
            // the templates of loss layers (and what they depend on), even though they are not needed outputs.
            let lossLayers = LoopPlan.lossLayers(unit: unitScope, graph: graph)
            visit(lossLayers)
            // The template of "end" is always constructed when the unit has one (rec.py:1917).
            if graph[scope: unitScope].layerByName["end"] != nil { visit(["end"]) }
            self.layersInLoop = order.sorted()
            self.inputLayersMovedOut = []
            self.outputLayersMovedOut = []
            self.placements = LoopPlan.placements(inLoop: layersInLoop, movedIn: inputLayersMovedOut, movedOut: outputLayersMovedOut)
            self.pinnedBy = [:]
            return
        }
        let collocate = LoopPlan.collocations(unit: unitScope, graph: graph)
        let (inLoop, movedIn, movedOut): ([String], [String], [String])
        if collocate.isEmpty {
            (inLoop, movedIn, movedOut) = LoopPlan.moveOutside(order: order, deps: deps)
        } else {
            (inLoop, movedIn, movedOut) = LoopPlan.moveOutsideWithCollocation(order: order, deps: deps, collocate: collocate)
        }
        self.layersInLoop = inLoop
        self.inputLayersMovedOut = movedIn
        self.outputLayersMovedOut = movedOut
        self.placements = LoopPlan.placements(inLoop: layersInLoop, movedIn: inputLayersMovedOut, movedOut: outputLayersMovedOut)
        self.pinnedBy = LoopPlan.pinningChains(inLoop: inLoop, deps: deps)
    }

    // MARK: - RETURNN's _move_outside_loop

    /// `_move_outside_loop` (rec.py:3974-4117) in O(n log n): first move out every output layer that no layer
    /// left in the loop uses (current or previous frame), then input layers that depend on nothing left in the
    /// loop, always taking the first such layer in `order` like RETURNN. Without `collocate_with`, moving a
    /// layer only ever makes others movable, so counting the remaining users and dependencies is exact.
    static func moveOutside(order: [String], deps: [String: [PlanEdge]]) -> (inLoop: [String], movedIn: [String], movedOut: [String]) {
        let index = Dictionary(order.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        var inLoop = Set(order)
        var depsOf: [[Int]] = Array(repeating: [], count: order.count)
        var usersOf: [[Int]] = Array(repeating: [], count: order.count)
        var selfDependent = Array(repeating: false, count: order.count)
        for (i, name) in order.enumerated() {
            var seen = Set<Int>()
            for edge in deps[name, default: []] {
                guard let j = index[edge.target], seen.insert(j).inserted else { continue }
                if j == i { selfDependent[i] = true; continue }
                depsOf[i].append(j)
                usersOf[j].append(i)
            }
        }
        var usersInLoop = usersOf.map(\.count)
        var depsInLoop = depsOf.map(\.count)
        func outputMovable(_ i: Int) -> Bool { order[i] != "end" && !selfDependent[i] && usersInLoop[i] == 0 }
        func inputMovable(_ i: Int) -> Bool {
            order[i] != ":i" && order[i] != "end" && !selfDependent[i] && depsInLoop[i] == 0
        }
        var outputCandidates = Set(order.indices.filter(outputMovable))
        var inputCandidates = Set<Int>()
        var movedIn: [String] = []
        var movedOut: [String] = []
        func remove(_ i: Int) {
            inLoop.remove(order[i])
            outputCandidates.remove(i)
            inputCandidates.remove(i)
            for j in depsOf[i] where inLoop.contains(order[j]) {
                usersInLoop[j] -= 1
                if outputMovable(j) { outputCandidates.insert(j) }
            }
            for j in usersOf[i] where inLoop.contains(order[j]) {
                depsInLoop[j] -= 1
                if inputMovable(j) { inputCandidates.insert(j) }
            }
        }
        // Phase 1: outputs only. Phase 2: outputs first, else one input.
        while let i = outputCandidates.min() {
            remove(i)
            movedOut.append(order[i])
        }
        inputCandidates = Set(order.indices.filter { inLoop.contains(order[$0]) && inputMovable($0) })
        while true {
            if let i = outputCandidates.min() {
                remove(i)
                movedOut.append(order[i])
            } else if let i = inputCandidates.min() {
                remove(i)
                movedIn.append(order[i])
            } else {
                break
            }
        }
        return (order.filter { inLoop.contains($0) }, movedIn, movedOut)
    }

    /// `_move_outside_loop` literally, for units that use `collocate_with` (collocated layers move together).
    static func moveOutsideWithCollocation(order: [String], deps: [String: [PlanEdge]], collocate: [String: [String]])
        -> (inLoop: [String], movedIn: [String], movedOut: [String])
    {
        var inLoop = order
        var movedIn: [String] = []
        var movedOut: [String] = []
        func dependsOn(_ a: String, _ b: String) -> Bool { deps[a, default: []].contains { $0.target == b } }
        func collocated(_ a: String, _ b: String) -> Bool {
            collocate[a, default: []].contains(b) || collocate[b, default: []].contains(a)
        }
        func outputCanMoveOut(_ layer: String, _ group: inout Set<String>) -> Bool {
            group.insert(layer)
            if layer == "end" || dependsOn(layer, layer) { return false }
            for other in inLoop where !group.contains(other) {
                if collocated(layer, other) {
                    if outputCanMoveOut(other, &group) { continue }
                    return false
                }
                if dependsOn(other, layer) { return false }
            }
            return true
        }
        func inputCanMoveOut(_ layer: String) -> Bool {
            if layer == ":i" || layer == "end" { return false }
            for other in inLoop {
                if dependsOn(layer, other) || collocate[layer, default: []].contains(other) { return false }
            }
            return true
        }
        func firstOutput() -> String? {
            inLoop.first { layer in
                var group = Set<String>()
                return outputCanMoveOut(layer, &group)
            }
        }
        while let layer = firstOutput() {
            inLoop.removeAll { $0 == layer }
            movedOut.append(layer)
        }
        while true {
            if let layer = firstOutput() {
                inLoop.removeAll { $0 == layer }
                movedOut.append(layer)
                continue
            }
            guard let layer = inLoop.first(where: inputCanMoveOut) else { break }
            inLoop.removeAll { $0 == layer }
            movedIn.append(layer)
        }
        return (inLoop, movedIn, movedOut)
    }

    // MARK: - Template dependencies

    /// The dependency edges of every node in the unit, as RETURNN's template construction records them.
    static func templateDependencies(unit: ScopeID, rec: LayerID, graph: NetworkGraph) -> [String: [PlanEdge]] {
        var result: [String: [PlanEdge]] = [:]
        let scope = graph[scope: unit]
        // The result is keyed by name, so the effective layers are visited in source order (no sort needed).
        for id in scope.layers where scope.layerByName[graph[id].name] == id {
            let name = graph[id].name
            if graph[id].layer.isIgnored { continue }
            var edges: [PlanEdge] = []
            func add(_ edge: PlanEdge) { if !edges.contains(edge) { edges.append(edge) } }
            for (ref, target) in dependencyRefs(of: id, graph: graph) {
                // References between layers nested inside this layer are internal to it.
                if let t = target.layerID, t != id, isNested(t, in: id, graph: graph) { continue }
                switch target {
                case .layer(let t), .previous(let t):
                    if let unitName = unitEntryName(t, unit: unit, graph: graph) {
                        add(PlanEdge(target: unitName, isPrevious: ref.isPrev))
                    }
                case .subLayer(let root, let path, _):
                    if let unitName = unitEntryName(root, unit: unit, graph: graph), graph[root].scope == unit {
                        let node = ([unitName] + path).joined(separator: "/")
                        add(PlanEdge(target: node, isPrevious: ref.isPrev))
                        if result[node] == nil { result[node] = [PlanEdge(target: unitName, isPrevious: false)] }
                    }
                case .stepIndex(let owner) where owner == rec:
                    add(PlanEdge(target: ":i", isPrevious: false))
                default:
                    break
                }
            }
            result[name] = edges
        }
        result[":i"] = []
        return result
    }

    /// The loop plan of every rec layer with a dict unit.
    ///
    /// - Parameters:
    ///   - optimize: overrides `optimize_move_layers_out` for every rec layer.
    ///   - existing: plans already made (with the same `optimize`), kept instead of made again.
    static func all(in graph: NetworkGraph, optimize: Bool? = nil, reusing existing: [LayerID: LoopPlan] = [:]) -> [LayerID: LoopPlan] {
        var plans = existing
        for node in graph.layers where plans[node.id] == nil && isPlanned(node.id, graph: graph) {
            plans[node.id] = LoopPlan(rec: node.id, graph: graph, optimize: optimize)
        }
        return plans
    }

    /// True for a rec layer with a dict unit (the layers that get a plan).
    static func isPlanned(_ id: LayerID, graph: NetworkGraph) -> Bool {
        guard graph[id].className == "rec", case .recUnit = graph[id].layer.children else { return false }
        return true
    }

    /// The innermost rec layer whose unit contains `id` (through masked units, cond branches and subnetworks),
    /// with its plan; nil outside every rec unit.
    static func enclosing(_ id: LayerID, plans: [LayerID: LoopPlan], graph: NetworkGraph) -> (rec: LayerID, plan: LoopPlan)? {
        enclosing(id, plan: { plans[$0] }, graph: graph)
    }

    /// `enclosing` with plans made on demand (`plan` gives a rec layer's plan).
    static func enclosing(_ id: LayerID, plan: (LayerID) -> LoopPlan?, graph: NetworkGraph) -> (rec: LayerID, plan: LoopPlan)? {
        guard let rec = recUnitOwner(of: id, graph: graph), let found = plan(rec) else { return nil }
        return (rec, found)
    }

    /// The rec layer whose unit contains `id` (following masked units, cond branches and subnetworks); nil
    /// outside every rec unit.
    static func recUnitOwner(of id: LayerID, graph: NetworkGraph) -> LayerID? {
        var current = id
        while true {
            let node = graph[current]
            switch node.role {
            case .maskedUnit(let owner), .condBranch(let owner): current = owner
            case .entry:
                let scope = graph[scope: node.scope]
                if scope.kind == .recUnit { return scope.owner }
                guard let owner = scope.owner else { return nil }
                current = owner
            }
        }
    }

    /// False for layers RETURNN never builds because nothing in their rec unit needs them (and for everything
    /// nested in such a layer, or in a rec layer that is itself not built).
    static func isBuilt(_ id: LayerID, plans: [LayerID: LoopPlan], graph: NetworkGraph) -> Bool {
        isBuilt(id, plan: { plans[$0] }, graph: graph)
    }

    /// `isBuilt` with plans made on demand.
    static func isBuilt(_ id: LayerID, plan planOf: (LayerID) -> LoopPlan?, graph: NetworkGraph) -> Bool {
        var current = id
        while let (rec, plan) = enclosing(current, plan: planOf, graph: graph) {
            let unit = graph[rec].childScope ?? graph.root
            guard let name = unitEntryName(current, unit: unit, graph: graph) else { return true }
            if plan.placement(of: name) == .unused { return false }
            current = rec
        }
        return true
    }

    /// The first built layer that makes RETURNN ask masked_computation `masked` for its initial output, which
    /// it refuses when `initial_output` is set on the masked layer (rec.py:9686): a reader of `prev:masked`, or
    /// an unmask that reads it directly over time — both outside any loop or moved out of it — because
    /// UnmaskLayer asks its source for the initial output then (rec.py:9797).
    static func initialOutputReader(of masked: LayerID, plans: [LayerID: LoopPlan], graph: NetworkGraph) -> LayerID? {
        initialOutputReader(of: masked, plan: { plans[$0] }, graph: graph)
    }

    /// `initialOutputReader` with plans made on demand.
    static func initialOutputReader(of masked: LayerID, plan planOf: (LayerID) -> LoopPlan?, graph: NetworkGraph) -> LayerID? {
        func runsOverTime(_ id: LayerID) -> Bool {
            guard let (rec, plan) = enclosing(id, plan: planOf, graph: graph) else { return true }
            guard let name = unitEntryName(id, unit: graph[rec].childScope ?? graph.root, graph: graph) else { return false }
            let placement = plan.placement(of: name)
            return placement == .movedIn || placement == .movedOut
        }
        for (layer, ref) in graph.referrers(of: masked) where isBuilt(layer, plan: planOf, graph: graph) {
            let targets = graph.references(of: layer).filter { $0.ref == ref }.map(\.target)
            if targets.contains(.previous(masked)) { return layer }
            if graph[layer].className == "unmask", ref.option == "from", targets.contains(.layer(masked)),
                runsOverTime(masked), runsOverTime(layer)
            {
                return layer
            }
        }
        return nil
    }

    /// For a reference from `consumer` to `rec/x` (a layer of rec layer `rec`'s unit, read from outside the
    /// rec layer): why RETURNN cannot give it, or nil if it can. A unit layer nothing in the unit needs is never
    /// built (LayerNotFound); without loop optimization the whole unit stays in the loop, where a layer is
    /// reachable from outside only as an accumulated output (`is_output_layer`; rec.py:2270).
    static func unreachableUnitLayer(_ target: ResolvedRef, readBy consumer: LayerID, plans: [LayerID: LoopPlan], graph: NetworkGraph) -> String? {
        unreachableUnitLayer(
            target, readBy: consumer, plan: { plans[$0] }, optimized: { plans[$0]?.optimized ?? isOptimized($0, graph: graph) },
            graph: graph)
    }

    /// `unreachableUnitLayer` with plans made on demand (the read rec layer's plan only when a quick reachability
    /// check over the unit's references cannot show that the layer is needed).
    static func unreachableUnitLayer(
        _ target: ResolvedRef, readBy consumer: LayerID, plan planOf: (LayerID) -> LoopPlan?, optimized: (LayerID) -> Bool,
        graph: NetworkGraph
    ) -> String? {
        guard case .subLayer(let rec, let path, let inner?) = target, path.count == 1, isPlanned(rec, graph: graph),
            let unit = graph[rec].childScope, graph[inner].scope == unit, graph[inner].name != "output",
            !isNested(consumer, in: rec, graph: graph)
        else { return nil }
        let name = graph[inner].name
        if !referencedFromNeededOutputs(inner, unit: unit, rec: rec, graph: graph), planOf(rec)?.placement(of: name) == .unused {
            return "nothing in the unit of '\(graph[rec].pathString)' needs '\(name)', so RETURNN never builds it and fails with LayerNotFound (add 'is_output_layer': True to '\(name)')"
        }
        if !optimized(rec), graph[inner].layer.flag("is_output_layer") != true {
            return "without loop optimization '\(name)' exists only inside the loop of '\(graph[rec].pathString)' (RETURNN: Cannot get layer '\(name)' from outside; add 'is_output_layer': True)"
        }
        return nil
    }

    /// `optimize_move_layers_out` for a rec layer: its own option, else the config's, else on.
    static func isOptimized(_ rec: LayerID, graph: NetworkGraph) -> Bool {
        let configDefault = graph.config.setting("optimize_move_layers_out")?.boolValue ?? true
        return graph[rec].layer.option("optimize_move_layers_out")?.boolValue ?? configDefault
    }

    /// True when `target` is reached from the unit's needed outputs through references between the unit's layers
    /// (any option, `prev:` and sub-layers included). That over-approximates the plan's template dependencies:
    /// true means the plan keeps the layer; false means only the plan can tell.
    static func referencedFromNeededOutputs(_ target: LayerID, unit: ScopeID, rec: LayerID, graph: NetworkGraph) -> Bool {
        let scope = graph[scope: unit]
        var stack = neededOutputs(unit: unit, rec: rec, graph: graph).compactMap { scope.layerByName[$0] }
        var seen = Set(stack)
        while let id = stack.popLast() {
            if id == target { return true }
            for (_, resolved) in graph.references(of: id) {
                for t in resolved.readLayers where !seen.contains(t) && isNested(t, in: rec, graph: graph) {
                    seen.insert(t)
                    stack.append(t)
                }
            }
            // Layers nested in this one (a subnetwork's or masked unit's layers) belong to it.
            if let child = graph[id].childScope {
                for nested in graph[scope: child].layerByName.values where !seen.contains(nested) {
                    seen.insert(nested)
                    stack.append(nested)
                }
            }
            if let unitLayer = graph[id].maskedUnit, !seen.contains(unitLayer) {
                seen.insert(unitLayer)
                stack.append(unitLayer)
            }
        }
        return false
    }

    /// The name of the unit entry that `id` is, or that contains `id` (nil when outside the unit).
    static func unitEntryName(_ id: LayerID, unit: ScopeID, graph: NetworkGraph) -> String? {
        var current = id
        while true {
            let node = graph[current]
            if node.scope == unit {
                if case .entry = node.role { return node.name }
                if case .maskedUnit(let masked) = node.role { current = masked; continue }
                if case .condBranch(let owner) = node.role { current = owner; continue }
                return nil
            }
            guard let owner = graph[scope: node.scope].owner else { return nil }
            current = owner
        }
    }

    /// The references that count as dependencies of a unit layer: its own and those of everything nested
    /// in it, except what RETURNN leaves out (a masked_computation with `masked_from` drops `from`, and
    /// drops `mask` unless its unit reads other layers).
    static func dependencyRefs(of id: LayerID, graph: NetworkGraph) -> [(LayerRef, ResolvedRef)] {
        var result: [(LayerRef, ResolvedRef)] = []
        let node = graph[id]
        var own = graph.references(of: id).filter { $0.ref.option != "collocate_with" }
        var nested: [(LayerRef, ResolvedRef)] = []
        for inner in nestedLayers(of: id, graph: graph) {
            nested += graph.references(of: inner).map { ($0.ref, $0.target) }
        }
        if node.className == "masked_computation", node.layer.option("masked_from")?.stringValue != nil {
            let readsParentLayers = nested.contains { pair in
                if case .maskedInput = pair.1 { return false }
                if case .subnetworkInput = pair.1 { return false }
                guard let target = pair.1.layerID else { return false }
                return !isNested(target, in: id, graph: graph)
            }
            own.removeAll { $0.ref.option == "from" || (!readsParentLayers && $0.ref.option == "mask") }
        }
        if node.className == "choice", ShapeRules.choiceUsesTarget(node.layer) {
            own.removeAll { $0.ref.option == "from" }
        }
        result += own.map { ($0.ref, $0.target) }
        result += nested
        return result
    }

    /// All layers nested in a layer (masked unit, subnetwork / rec unit layers, cond branches), recursively.
    static func nestedLayers(of id: LayerID, graph: NetworkGraph) -> [LayerID] {
        var result: [LayerID] = []
        var queue = [id]
        while let current = queue.popLast() {
            let node = graph[current]
            var children: [LayerID] = []
            if let unit = node.maskedUnit { children.append(unit) }
            if let scope = node.childScope { children += graph[scope: scope].layers }
            if case .condBranches = node.layer.children {  // only cond layers have branches: skip the scan for others
                children += graph.layers.filter {
                    if case .condBranch(let owner) = $0.role { return owner == current }
                    return false
                }.map(\.id)
            }
            result += children
            queue += children
        }
        return result
    }

    /// True when `target` is `container` or nested inside it.
    static func isNested(_ target: LayerID, in container: LayerID, graph: NetworkGraph) -> Bool {
        var current: LayerID? = target
        while let id = current {
            if id == container { return true }
            let node = graph[id]
            switch node.role {
            case .maskedUnit(let of), .condBranch(let of): current = of
            case .entry: current = graph[scope: node.scope].owner
            }
        }
        return false
    }

    /// RETURNN's needed outputs of a unit (rec.py:2922-3016).
    static func neededOutputs(unit: ScopeID, rec: LayerID, graph: NetworkGraph) -> [String] {
        let scope = graph[scope: unit]
        var needed: [String] = []
        if scope.layerByName["output"] != nil { needed.append("output") }
        // Loss layers are not needed outputs: RETURNN's template layers carry no loss object when the plan is
        // made (verified with the oracle: a unit layer with only a loss is never built when optimized).
        let flagged = scope.layerByName.filter { _, id in
            !graph[id].layer.isIgnored
                && (graph[id].layer.flag("is_output_layer") == true || graph[id].layer.flag("need_last") == true)
        }
        for name in flagged.keys.sorted() where !needed.contains(name) { needed.append(name) }
        let recLayer = graph[rec].layer
        let lengthKnown =
            !graph.sources(of: rec).isEmpty || isSet(recLayer.option("target")) || isSet(recLayer.option("size_target"))
            || isSet(recLayer.option("axis"))
        if !lengthKnown, scope.layerByName["end"] != nil, !needed.contains("end") { needed.append("end") }
        return needed
    }

    /// The unit layers with a `loss`, sorted (their templates are constructed when losses are evaluated).
    static func lossLayers(unit: ScopeID, graph: NetworkGraph) -> [String] {
        graph[scope: unit].layerByName.filter { isSet(graph[$0.value].layer.option("loss")) }.keys.sorted()
    }

    static func isSet(_ node: ConfigNode?) -> Bool {
        guard let node else { return false }
        switch node.value {
        case .null: return false
        case .bool(let b): return b
        case .string(let s): return !s.isEmpty
        default: return true
        }
    }

    /// `collocate_with` names per unit layer.
    static func collocations(unit: ScopeID, graph: NetworkGraph) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for (name, id) in graph[scope: unit].layerByName where !graph[id].layer.collocateWith.isEmpty {
            result[name] = graph[id].layer.collocateWith
        }
        return result
    }

    /// The longest chain kept in `pinnedBy`, in edges. Longer chains are not searched for: a layer kept in the
    /// loop only by a longer one gets `[name, "…"]` (a loop of thousands of layers would otherwise cost
    /// quadratic time and memory here).
    static let maxPinningChain = 40

    /// For every layer left in the loop: the shortest dependency cycle through it within the loop, or the
    /// shortest path from it to a layer on a cycle followed by that layer's cycle; `prev:` edges are written as
    /// `prev:name`. Breadth-first searches over layer indices with parent links, at most `maxPinningChain`
    /// edges deep.
    static func pinningChains(inLoop: [String], deps: [String: [PlanEdge]]) -> [String: [String]] {
        var index: [String: Int] = [:]
        for name in inLoop where index[name] == nil { index[name] = index.count }
        var names = Array(repeating: "", count: index.count)
        for (name, i) in index { names[i] = name }
        // In-loop edges of every node, in `deps` order.
        let edges: [[(target: Int, edge: PlanEdge)]] = names.map { name in
            deps[name, default: []].compactMap { edge in index[edge.target].map { (target: $0, edge: edge) } }
        }
        var stamp = Array(repeating: -1, count: names.count)
        var depth = Array(repeating: 0, count: names.count)
        var parent = Array(repeating: -1, count: names.count)
        var parentEdge: [PlanEdge?] = Array(repeating: nil, count: names.count)
        var search = 0
        // The first path (of at most `limit` edges) found by a breadth-first search from `start` to a node
        // satisfying `goal`, checked on every edge so that `start` itself can be the goal of a cycle; and whether
        // the search stopped at the depth limit.
        func shortestPath(from start: Int, limit: Int, to goal: (Int) -> Bool) -> (path: [PlanEdge]?, truncated: Bool) {
            search += 1
            stamp[start] = search
            depth[start] = 0
            var queue = [start]
            var head = 0
            var truncated = false
            while head < queue.count {
                let node = queue[head]
                head += 1
                guard depth[node] < limit else {
                    truncated = truncated || !edges[node].isEmpty
                    continue
                }
                for (target, edge) in edges[node] {
                    if goal(target) {
                        var path = [edge]
                        var current = node
                        while current != start, let via = parentEdge[current] {
                            path.append(via)
                            current = parent[current]
                        }
                        return (path.reversed(), false)
                    }
                    if stamp[target] != search {
                        stamp[target] = search
                        depth[target] = depth[node] + 1
                        parent[target] = node
                        parentEdge[target] = edge
                        queue.append(target)
                    }
                }
            }
            return (nil, truncated)
        }
        func render(_ start: String, _ labels: [String]) -> [String] {
            let chain = [start] + labels
            return chain.count > maxPinningChain ? Array(chain.prefix(maxPinningChain)) + ["…"] : chain
        }
        let cycleSearches = names.indices.map { i in shortestPath(from: i, limit: maxPinningChain, to: { $0 == i }) }
        let cycles = cycleSearches.map { $0.path?.map(\.label) }
        var result: [String: [String]] = [:]
        for (i, name) in names.enumerated() {
            if let cycle = cycles[i] {
                result[name] = render(name, cycle)
                continue
            }
            // Not on a cycle itself: follow dependencies to a layer that is.
            let toCycle = shortestPath(from: i, limit: maxPinningChain, to: { cycles[$0] != nil })
            if let path = toCycle.path, let last = path.last, let target = index[last.target], let cycle = cycles[target] {
                result[name] = render(name, path.map(\.label) + cycle)
            } else if cycleSearches[i].truncated || toCycle.truncated {
                result[name] = [name, "…"]
            } else {
                result[name] = [name]
            }
        }
        return result
    }
}
