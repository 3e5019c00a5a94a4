import NetConfig

/// Computes layer templates in context, as RETURNN's template construction does, without TensorFlow.
///
/// A layer instance is keyed by the layer and the loops it runs inside (`Placement.loops`). Values cross
/// contexts by one rule: leaving a loop accumulates over its time dim (added at axis 0, time-major), and
/// entering a loop unrolls a tensor that has the loop's time dim (the dim is removed) or hands it in whole.
final class TemplateEngine {
    struct Key: Hashable {
        var layer: LayerID
        var loops: [LayerID]
    }

    let graph: NetworkGraph
    let plans: [LayerID: LoopPlan]
    private var memo: InstanceTable<TemplateResult>
    private var inProgress: InstanceTable<Bool>
    private var previousPass: InstanceTable<TemplateResult>
    private(set) var usedPending = false
    /// How many `prev:` references the current computation is nested in (see `template`).
    private var prevDepth = 0
    private var loopDims: [LayerID: Dim?] = [:]
    private var maskedDimsMemo: [Key: (inSpatial: Dim, outSpatial: Dim)?] = [:]
    private var actualLoopsMemo: [[LayerID]?]
    private let keysMarkedUsedByRec: [LayerID: Set<String>]

    init(graph: NetworkGraph, plans: [LayerID: LoopPlan]) {
        self.graph = graph
        self.plans = plans
        memo = InstanceTable(layerCount: graph.layers.count)
        inProgress = InstanceTable(layerCount: graph.layers.count)
        previousPass = InstanceTable(layerCount: graph.layers.count)
        actualLoopsMemo = Array(repeating: nil, count: graph.layers.count)
        keysMarkedUsedByRec = Self.keysMarkedUsed(graph: graph)
    }

    /// The layers that read a rec unit's layer by path (`rec/x`): the only ones `unitLayerOnlyInsideLoop` checks.
    private lazy var readersIntoUnits: Set<LayerID> = {
        Set(graph.layers.filter { node in
            graph.references(of: node.id).contains { pair in
                if case .subLayer(let root, _, _) = pair.target { return LoopPlan.isPlanned(root, graph: graph) }
                return false
            }
        }.map(\.id))
    }()

    /// The masked_computation layers whose unit reads the unit input `data` (one scan of all references).
    private(set) lazy var maskedLayersWhoseUnitReadsData: Set<LayerID> = {
        var result = Set<LayerID>()
        for node in graph.layers {
            for (_, target) in graph.references(of: node.id) {
                if case .maskedInput(let masked) = target { result.insert(masked) }
            }
        }
        return result
    }()

    /// Starts another pass over `prev:` cycles, reusing this pass's results for pending `prev:` values.
    func startNextPass() {
        previousPass = memo
        memo.removeAll { $0.isPending }
        usedPending = false
        loopDims = [:]
        maskedDimsMemo = [:]
    }

    // MARK: - Placement

    /// The loops a layer really runs inside, given the loop plans.
    func actualLoops(_ id: LayerID) -> [LayerID] {
        if let known = actualLoopsMemo[id.index] { return known }
        let node = graph[id]
        let result: [LayerID]
        switch node.role {
        case .maskedUnit(let owner), .condBranch(let owner):
            result = actualLoops(owner)
        case .entry:
            let scope = graph[scope: node.scope]
            if let owner = scope.owner {
                let ownerLoops = actualLoops(owner)
                if scope.kind == .recUnit {
                    let placement = plans[owner]?.placement(of: node.name) ?? .inLoop
                    result = (placement == .movedIn || placement == .movedOut) ? ownerLoops : ownerLoops + [owner]
                } else {
                    result = ownerLoops
                }
            } else {
                result = []
            }
        }
        actualLoopsMemo[id.index] = result
        return result
    }

    /// The rec layer whose unit contains this layer (following masked units, cond branches and subnetworks).
    func recUnitOwner(_ id: LayerID) -> LayerID? {
        LoopPlan.recUnitOwner(of: id, graph: graph)
    }

    /// The loops a producer is evaluated in when read by a consumer running inside `consumerLoops`: a layer
    /// of a unit whose loop the consumer is inside is read per frame (template construction); otherwise the
    /// producer's real placement.
    func producerLoops(_ id: LayerID, consumerLoops: [LayerID]) -> [LayerID] {
        if let rec = recUnitOwner(id), let index = consumerLoops.firstIndex(of: rec) {
            return Array(consumerLoops[...index])
        }
        return actualLoops(id)
    }

    // MARK: - Loop time dims

    /// The time dim of a rec layer's loop, as `RecLayer.transform_source_and_axis` picks it: `axis`, else the
    /// input's time dim (unless the unit has an `end` layer), else `size_target`'s, else `target`'s, else a
    /// new dynamic dim `dyn-time:<name>`.
    func loopDim(_ rec: LayerID) -> Dim? {
        if let known = loopDims[rec] { return known }
        loopDims[rec] = .some(nil)
        let node = graph[rec]
        let layer = node.layer
        var dim: Dim?
        let loops = actualLoops(rec)
        let inputs = graph.sources(of: rec).map { input($0.target, ref: $0.ref, consumer: rec, loops: loops) }
        let source = ShapeRules.concatenated(inputs, name: layer.name, broadcastMatches: ShapeRules.broadcastMatches(graph)).template
        let hasEnd = node.childScope.map { graph[scope: $0].layerByName["end"] != nil } ?? false
        if let axis = layer.option("axis") {
            if case .dim(let d)? = axis.marker {
                dim = Dim(kind: .spatial, name: d.description, size: d.dimension, autoGenerated: false)
            } else if let source, let index = AxisSpec.axis(axis, in: source) {
                dim = source.dims[index]
            }
        } else if let source, let time = source.timeDim, !hasEnd {
            dim = time
        } else {
            for key in ["size_target", "target"] {
                guard let target = layer.option(key) else { continue }
                let text = target.stringValue ?? target.elements?.first?.stringValue
                if let text, !text.hasPrefix("layer:"), let t = externTemplate(key: text)?.template, let time = t.timeDim {
                    dim = time
                    break
                }
            }
            if dim == nil, graph.sources(of: rec).isEmpty || hasEnd {
                dim = Dim(kind: .spatial, name: "dyn-time:\(node.pathString)", size: nil)
            }
        }
        // A dim computed from a deferred value is provisional (as in `template`).
        if deferred.isEmpty { loopDims[rec] = .some(dim) } else { loopDims[rec] = nil }
        return dim
    }

    /// How a value enters a loop.
    enum Unroll {
        /// Handed in whole (`base:` layers of a parent network).
        case whole
        /// Unrolled over the loop's time dim if it has it (layers of the unit moved out to the input side).
        case loopTime
        /// One frame: its time axis removed (extern data and the rec input).
        case frame
    }

    /// The time dim of a rec layer's input, if it has one.
    func sourceTimeDim(_ rec: LayerID) -> Dim? {
        let loops = actualLoops(rec)
        let inputs = graph.sources(of: rec).map { input($0.target, ref: $0.ref, consumer: rec, loops: loops) }
        return ShapeRules.concatenated(inputs, name: graph[rec].name, broadcastMatches: ShapeRules.broadcastMatches(graph)).template?.timeDim
    }

    /// True when `id` is (nested) inside the unit of rec layer `rec`.
    /// The rec layers whose units enclose the network that `ref` (read by `consumer`) resolves in, after its
    /// `base:` prefixes.
    func loopsAround(scopeOf ref: LayerRef, readBy consumer: LayerID) -> Set<LayerID> {
        var scope = graph[consumer].scope
        for _ in 0..<ref.baseLevels {
            guard let parent = graph[scope: scope].parent else { break }
            scope = parent
        }
        var result = Set<LayerID>()
        var current: ScopeID? = scope
        while let id = current {
            let node = graph[scope: id]
            if node.kind == .recUnit, let owner = node.owner { result.insert(owner) }
            current = node.parent
        }
        return result
    }

    func isWithinUnit(_ id: LayerID, of rec: LayerID) -> Bool {
        id != rec && LoopPlan.isNested(id, in: rec, graph: graph)
    }

    /// Converts a template from the loops it was computed in to the loops of a consumer.
    ///
    /// - Parameter unroll: decides, per loop being entered, whether a tensor with that loop's time dim is
    ///   unrolled (a layer of the unit moved out to the input side, the rec input, extern data) or handed
    ///   in whole (a `base:` layer of a parent network).
    func convert(
        _ result: TemplateResult, from producer: [LayerID], to consumer: [LayerID], unroll: (LayerID) -> Unroll = { _ in .loopTime }
    ) -> TemplateResult {
        guard case .known(var t) = result else { return result }
        // Leaving loops (innermost first): accumulate over the loop's time dim, time-major.
        for rec in producer.reversed() where !consumer.contains(rec) {
            guard let time = loopDim(rec) else { return .unknown("the time dim of rec layer '\(graph[rec].pathString)' is unknown") }
            if !t.contains(time) { t = t.inserting(time, at: 0) }
        }
        // Entering loops: unroll tensors over the loop's time dim; others are handed in whole.
        for rec in consumer where !producer.contains(rec) {
            switch unroll(rec) {
            case .whole:
                break
            case .loopTime:
                // A layer of the unit moved out of the loop: unrolled when it has the loop's time dim (or the
                // rec input's time dim, which RETURNN also counts as the loop's; `_time_dim_tags`).
                if let time = loopDim(rec), t.contains(time) {
                    t = t.removing(time)
                } else if let time = sourceTimeDim(rec), t.contains(time) {
                    t = t.removing(time)
                }
            case .frame:
                // Extern data and the rec input: their time axis is the loop's (`copy_template_excluding_time_dim`).
                if let time = t.timeDim { t = t.removing(time) }
            }
        }
        return .known(t)
    }

    // MARK: - Templates

    /// The template of a layer evaluated inside `loops`.
    ///
    /// Called from outside any template computation, this resolves every deferral below it before returning,
    /// so callers outside the engine never see a deferred value.
    func template(_ id: LayerID, loops: [LayerID]) -> TemplateResult {
        let key = Key(layer: id, loops: loops)
        if let known = memo[key] { return known }
        if depth == 0, !draining { return resolvingDeferrals(key) }
        return computeOrDefer(key)
    }

    private func computeOrDefer(_ key: Key) -> TemplateResult {
        if let known = memo[key] { return known }
        if inProgress[key] != nil {
            // Reached again below a `prev:` reference: the cycle runs through that `prev:` edge, and RETURNN's
            // template construction treats the layer as pending (dropped, retried), as for the `prev:` value.
            if prevDepth > 0 {
                usedPending = true
                return previousPass[key] ?? .unknown(TemplateResult.pendingReason)
            }
            return .unknown("cyclic dependency")
        }
        // Long chains of layers would recurse as deep as the chain: stop at a fixed depth and let
        // `resolvingDeferrals` evaluate the deferred layer from a shallow stack first.
        if depth >= Self.maxDepth {
            deferred.append(Deferral(key: key, prevDepth: prevDepth))
            return .unknown(Self.deferredReason)
        }
        // Once something was deferred, unwind without exploring further: the results would be thrown away.
        if !deferred.isEmpty { return .unknown(Self.deferredReason) }
        inProgress[key] = true
        depth += 1
        let result = computeTemplate(key.layer, loops: key.loops)
        depth -= 1
        inProgress[key] = nil
        // A result computed from a deferred value is provisional: do not keep it.
        if deferred.isEmpty { memo[key] = result }
        return result
    }

    /// How deep template computations may nest before they are deferred.
    static let maxDepth = 48
    static let deferredReason = "deferred (deep dependency chain)"
    private var depth = 0
    /// A layer instance whose computation hit the depth limit, with the number of `prev:` references the
    /// computation that reached it was nested in.
    private struct Deferral {
        var key: Key
        var prevDepth: Int
    }
    private var deferred: [Deferral] = []
    private var draining = false
    /// How many times a deferred chain was drained (for tests: each deferral is resolved once, not per caller).
    private(set) var drainCount = 0

    /// Computes `key` from the top of the stack: whenever the computation hits the depth limit, the deferred
    /// chain is evaluated deepest first (each link from a shallow stack) and the computation is retried, so
    /// every chain is computed in bounded stack depth, and only once.
    private func resolvingDeferrals(_ root: Key) -> TemplateResult {
        draining = true
        defer { draining = false }
        for _ in 0..<1_000_000 {
            deferred.removeAll()
            let result = computeOrDefer(root)
            guard let first = deferred.first else { return result }
            drain(below: Deferral(key: root, prevDepth: prevDepth), first)
        }
        return .unknown(Self.deferredReason)
    }

    /// Evaluates a deferred layer and, recursively, whatever it defers in turn, deepest first. The chain is the
    /// stack the recursive computation would have had: reaching one of its keys again is a cycle, and a `prev:`
    /// reference anywhere on it makes that cycle pending rather than an error (as in `computeOrDefer`).
    private func drain(below root: Deferral, _ first: Deferral) {
        drainCount += 1
        var chain: [Deferral] = [root, first]
        while let top = chain.last {
            if memo[top.key] != nil || chain.count == 1 {
                chain.removeLast()
                continue
            }
            deferred.removeAll()
            let below = chain.dropLast().map(\.key)
            for key in below { inProgress[key] = true }
            let outerPrev = prevDepth
            prevDepth = top.prevDepth
            _ = computeOrDefer(top.key)
            prevDepth = outerPrev
            for key in below { inProgress[key] = nil }
            if memo[top.key] == nil {
                guard let next = deferred.first else {
                    // Computed but not kept (nothing deferred): cannot happen; stop rather than loop.
                    chain.removeLast()
                    continue
                }
                // `next.prevDepth` counts from `top.prevDepth` on: it is the whole chain's.
                chain.append(next)
            }
        }
        deferred.removeAll()
    }

    /// The template of a layer in its real placement.
    func actualTemplate(_ id: LayerID) -> TemplateResult {
        template(id, loops: actualLoops(id))
    }

    private func computeTemplate(_ id: LayerID, loops: [LayerID]) -> TemplateResult {
        let node = graph[id]
        guard node.layer.isMapping else { return .unknown("layer is not a dict") }
        guard let className = node.className else { return .unknown("no layer class") }
        if let problem = unitLayerOnlyInsideLoop(readBy: id, loops: loops) { return .failed(problem) }
        if let problem = externDataReadInsideLoop(by: id, loops: loops) { return .failed(problem) }
        let request = ShapeRequest(engine: self, node: node, loops: loops)
        return ShapeRules.apply(className: className, request)
    }

    /// Why a layer built inside a loop cannot read the extern data it names, if it cannot: inside the loop RETURNN
    /// has only templates of extern data (rec.py:1402-1409); the keys it unrolls are those marked as used before
    /// the loop is built (rec.py:2821), which a layer's own read does not do. Per-frame template construction of a
    /// layer that is then moved out is fine; `base:data` above the loop is a whole tensor (verified with the oracle
    /// for `data` and `data:data`, in the loop without and with the optimization; the evaluator refuses the same).
    private func externDataReadInsideLoop(by consumer: LayerID, loops: [LayerID]) -> String? {
        guard let innermost = loops.last, actualLoops(consumer) == loops else { return nil }
        for (ref, target) in graph.references(of: consumer) where ref.option != "collocate_with" {
            guard case .externData(let key) = target, loopsAround(scopeOf: ref, readBy: consumer).contains(innermost),
                !keysMarkedUsed(in: innermost).contains(key)
            else { continue }
            return "extern data '\(key)' is read inside the loop of '\(graph[innermost].pathString)', where RETURNN has only its template (no value)"
        }
        return nil
    }

    /// The data keys a rec unit marks as used before its loop is built, so that RETURNN unrolls them: the
    /// `target` of its layers (their templates ask for it, base.py:585/798) and the rec layer's `size_target`.
    func keysMarkedUsed(in rec: LayerID) -> Set<String> {
        keysMarkedUsedByRec[rec] ?? []
    }

    /// `keysMarkedUsed` of every rec layer with a dict unit (made once: the evaluator asks at every step).
    private static func keysMarkedUsed(graph: NetworkGraph) -> [LayerID: Set<String>] {
        var result: [LayerID: Set<String>] = [:]
        for node in graph.layers {
            guard let unit = node.childScope, graph[scope: unit].kind == .recUnit else { continue }
            var keys = Set<String>()
            if let sizeTarget = node.layer.option("size_target")?.stringValue { keys.insert(sizeTarget) }
            for id in graph[scope: unit].layers {
                for target in graph[id].layer.targets where !target.hasPrefix("layer:") { keys.insert(target) }
            }
            result[node.id] = keys
        }
        return result
    }

    /// Why a layer's reference to a rec unit's layer from outside (`rec/x`) fails in RETURNN, if it does.
    private func unitLayerOnlyInsideLoop(readBy consumer: LayerID, loops: [LayerID]) -> String? {
        guard readersIntoUnits.contains(consumer) else { return nil }
        for (ref, target) in graph.references(of: consumer) {
            if let problem = LoopPlan.unreachableUnitLayer(target, readBy: consumer, plans: plans, graph: graph) {
                return "'\(ref.raw)': \(problem)"
            }
        }
        return nil
    }

    /// The value a resolved reference gives a consumer that runs inside `loops`.
    func input(_ target: ResolvedRef, ref: LayerRef, consumer: LayerID, loops: [LayerID]) -> TemplateResult {
        let raw = rawInput(target, ref: ref, consumer: consumer, loops: loops)
        return applyMaskedRegion(raw, target: target, consumer: consumer, loops: loops)
    }

    private func rawInput(_ target: ResolvedRef, ref: LayerRef, consumer: LayerID, loops: [LayerID]) -> TemplateResult {
        switch target {
        case .layer(let id), .previous(let id):
            let from = producerLoops(id, consumerLoops: loops)
            let key = Key(layer: id, loops: from)
            let unroll = { (rec: LayerID) in self.isWithinUnit(id, of: rec) ? Unroll.loopTime : .whole }
            if ref.isPrev, inProgress[key] != nil, memo[key] == nil {
                usedPending = true
                return convert(previousPass[key] ?? .unknown(TemplateResult.pendingReason), from: from, to: loops, unroll: unroll)
            }
            if ref.isPrev { prevDepth += 1 }
            let result = template(id, loops: from)
            if ref.isPrev { prevDepth -= 1 }
            return convert(result, from: from, to: loops, unroll: unroll)
        case .subLayer(let root, _, let inner):
            guard let inner else { return .unknown("sub-layer of a layer without a nested dict") }
            return subLayerInput(root: root, inner: inner, loops: loops)
        case .externData(let key):
            // Extern data is unrolled by the loops around the network the name resolves in; `base:data` read
            // inside a rec unit is the parent network's `data`, handed into the inner loops whole
            // (network.py:2132).
            let framing = loopsAround(scopeOf: ref, readBy: consumer)
            return convert(
                externTemplate(key: key) ?? .unknown("data key '\(key)' has no declaration"), from: [], to: loops,
                unroll: { framing.contains($0) ? .frame : .whole })
        case .recInput(let rec):
            let recLoops = actualLoops(rec)
            let sources = graph.sources(of: rec).map { input($0.target, ref: $0.ref, consumer: rec, loops: recLoops) }
            return convert(
                ShapeRules.concatenated(sources, name: graph[rec].name, broadcastMatches: ShapeRules.broadcastMatches(graph)), from: recLoops, to: loops,
                unroll: { $0 == rec ? .frame : .whole })
        case .subnetworkInput(let sub):
            let subLoops = loops
            let sources = graph.sources(of: sub).map { input($0.target, ref: $0.ref, consumer: sub, loops: subLoops) }
            if graph[sub].layer.option("concat_sources")?.boolValue == false {
                return sources.first ?? .unknown("subnetwork without input")
            }
            return ShapeRules.concatenated(sources, name: graph[sub].name, broadcastMatches: ShapeRules.broadcastMatches(graph))
        case .maskedInput(let masked):
            let sources = graph.sources(of: masked)
            if graph[masked].layer.option("masked_from")?.stringValue != nil,
                let maskedFrom = graph.reference(of: masked, option: "masked_from")
            {
                let value = input(maskedFrom.target, ref: maskedFrom.ref, consumer: masked, loops: loops)
                if loops.isEmpty { return value }
                // Template construction inside a loop sees one frame of the already-masked input.
                return value.map { t in .known(t.timeDim.map { t.removing($0) } ?? t) }
            }
            guard let first = sources.first else { return .unknown("masked_computation without input") }
            return input(first.target, ref: first.ref, consumer: masked, loops: loops)
        case .stepIndex(let rec):
            let from = producerLoops(rec, consumerLoops: loops) + [rec]
            let inner = loops.contains(rec) ? Array(loops[...(loops.firstIndex(of: rec) ?? 0)]) : from
            return convert(.known(TensorTemplate(dims: [], dtype: "int32")), from: inner, to: loops)
        case .unresolved:
            return .unknown("unresolved reference '\(ref.raw)'")
        }
    }

    /// A sub-layer `x/y` read from outside `x`: a rec unit layer over the loop, a subnetwork layer, or a
    /// masked unit's sub-layer (unmasked automatically when the masked layer was moved out of its loop).
    private func subLayerInput(root: LayerID, inner: LayerID, loops: [LayerID]) -> TemplateResult {
        let rootNode = graph[root]
        if rootNode.className == "masked_computation" {
            let maskedLoops = producerLoops(root, consumerLoops: loops)
            let innerResult = template(inner, loops: maskedLoops)
            let output = ShapeRules.maskedOutput(unit: innerResult, masked: root, loops: maskedLoops, engine: self)
            return convert(output, from: maskedLoops, to: loops, unroll: { self.isWithinUnit(root, of: $0) ? .loopTime : .whole })
        }
        let from = producerLoops(inner, consumerLoops: loops)
        return convert(template(inner, loops: from), from: from, to: loops, unroll: { self.isWithinUnit(inner, of: $0) ? .loopTime : .whole })
    }

    // MARK: - Masked computation regions

    /// The masked_computation whose unit contains `id` (innermost), if any.
    func enclosingMasked(_ id: LayerID) -> LayerID? {
        var current = id
        while true {
            let node = graph[current]
            switch node.role {
            case .maskedUnit(let owner): return owner
            case .condBranch(let owner): current = owner
            case .entry:
                guard let owner = graph[scope: node.scope].owner else { return nil }
                current = owner
            }
        }
    }

    /// Inside a masked unit that runs outside a loop, inputs from outside the unit that have the masked
    /// axis T are seen on T' (only the frames where the mask is true), time-major.
    private func applyMaskedRegion(_ value: TemplateResult, target: ResolvedRef, consumer: LayerID, loops: [LayerID])
        -> TemplateResult
    {
        guard loops.isEmpty, let masked = enclosingMasked(consumer), case .known(let t) = value else { return value }
        // Values produced inside the same masked unit are already on T'.
        if let producer = target.layerID, LoopPlan.isNested(producer, in: masked, graph: graph), producer != masked {
            return value
        }
        if graph[masked].layer.option("masked_from")?.stringValue != nil {
            return value
        }
        guard let dims = maskedDims(masked, loops: loops), t.contains(dims.inSpatial) else { return value }
        return .known(t.moving(dims.inSpatial, to: 0).replacing(dims.inSpatial, with: dims.outSpatial))
    }

    /// T (the masked axis) and T' (the masked dim) of a masked_computation running outside a loop.
    func maskedDims(_ masked: LayerID, loops: [LayerID]) -> (inSpatial: Dim, outSpatial: Dim)? {
        // Memoized like templates: every input of a layer inside a masked unit asks for these, and nested masked
        // units ask their enclosing one again, which is exponential in the nesting depth without a memo.
        let key = Key(layer: masked, loops: loops)
        if let known = maskedDimsMemo[key] { return known }
        let result = computeMaskedDims(masked, loops: loops)
        // A result computed while something was deferred is provisional (as in `template`).
        if deferred.isEmpty { maskedDimsMemo[key] = result }
        return result
    }

    private func computeMaskedDims(_ masked: LayerID, loops: [LayerID]) -> (inSpatial: Dim, outSpatial: Dim)? {
        let node = graph[masked]
        let layer = node.layer
        // T: `in_spatial_dim`, else the loop it was moved out of, else the source's time dim.
        var inSpatial: Dim?
        if let marker = layer.option("in_spatial_dim"), case .dim(let d)? = marker.marker {
            inSpatial = Dim(kind: d.kind == .feature ? .feature : .spatial, name: d.description, size: d.dimension, autoGenerated: false)
        } else if let rec = recUnitOwner(masked), !loops.contains(rec) {
            inSpatial = loopDim(rec)
        }
        if layer.option("masked_from")?.stringValue != nil, let ref = graph.reference(of: masked, option: "masked_from") {
            guard let t = input(ref.target, ref: ref.ref, consumer: masked, loops: loops).template, let time = t.timeDim else {
                return nil
            }
            return (inSpatial ?? time, time)
        }
        if inSpatial == nil, let first = graph.sources(of: masked).first {
            inSpatial = input(first.target, ref: first.ref, consumer: masked, loops: loops).template?.timeDim
        }
        guard let inSpatial else { return nil }
        let maskText = graph.reference(of: masked, option: "mask")?.ref.raw ?? ""
        let origin = Dim.MaskedOrigin(base: inSpatial.name, mask: maskText, producer: node.pathString)
        if let marker = layer.option("out_spatial_dim"), case .dim(let d)? = marker.marker {
            return (inSpatial, Dim(kind: .spatial, name: d.description, size: nil, autoGenerated: false, derivedFrom: inSpatial.name, masked: origin))
        }
        return (inSpatial, Dim(kind: .spatial, name: "\(layer.name):masked:time", size: nil, derivedFrom: inSpatial.name, masked: origin))
    }

    // MARK: - Extern data

    /// The first layer with `register_as_extern_data: KEY`, per key (looked up for every data reference).
    private lazy var registeredExternData: [String: LayerID] = {
        var result: [String: LayerID] = [:]
        for node in graph.layers {
            if let key = node.layer.option("register_as_extern_data")?.stringValue, result[key] == nil { result[key] = node.id }
        }
        return result
    }()

    /// The template of an extern data key (`extern_data`, legacy `num_outputs`, or `register_as_extern_data`).
    func externTemplate(key: String) -> TemplateResult? {
        if let entry = graph.config.externData.entry(key) { return ExternDataTemplates.template(for: entry) }
        if let id = registeredExternData[key] { return actualTemplate(id) }
        if graph.config.externData.origin == .undeclared, key == graph.config.externData.defaultInputKey {
            return .known(
                TensorTemplate(dims: [.batch, Dim(kind: .spatial, name: "time:var:extern_data:\(key)", size: nil), Dim(kind: .feature, name: "feature:\(key)", size: nil)]))
        }
        return nil
    }
}
