import NetConfig

/// One evaluation of a network: layer instances keyed by layer and the loops they run in, evaluated lazily
/// with the same context rules as the dims engine (`TemplateEngine`): leaving a loop accumulates frames over
/// the loop's time dim (axis 0), entering a loop takes frame t of tensors that have the loop's time dim
/// (layers of that unit, the rec input, extern data), `base:` layers are handed in whole, and inputs of a
/// masked unit that runs outside loops are compacted onto T'.
final class EvaluationRun {
    /// What a memoized value is.
    enum View: Hashable {
        /// The layer's own output.
        case value
        /// A masked_computation's (sub-)output seen from outside its unit: carried (in a loop), unmasked
        /// (moved out) or as is (top level / masked_from); keyed by the inner layer (the unit for `""`).
        case masked(LayerID)
        /// A rec layer's input (its sources concatenated).
        case recInput
    }

    /// A layer instance: the layer, the loops it runs in, and the view.
    struct Key: Hashable {
        var layer: LayerID
        var loops: [LayerID]
        var view: View
    }

    /// A recurrent state slot of a layer (LSTM `c`/`h`, cumsum `state`, masked `_output`, unmask `t`, …).
    struct StateKey: Hashable {
        var layer: LayerID
        var slot: String
    }

    /// The bookkeeping of one running (or just finished) rec loop.
    final class LoopState {
        let rec: LayerID
        let time: Dim
        let lengths: [Int]
        let steps: Int
        let inner: [LayerID]
        var step = 0
        var prev: [LayerID: Tensor] = [:]
        var frames: [Key: [Tensor]] = [:]
        var state: [StateKey: Tensor] = [:]
        /// For state slots written in the current step: the value before the step.
        var before: [StateKey: Tensor] = [:]

        init(rec: LayerID, time: Dim, lengths: [Int], steps: Int, inner: [LayerID]) {
            self.rec = rec
            self.time = time
            self.lengths = lengths
            self.steps = steps
            self.inner = inner
        }
    }

    /// The frames of a masked_computation running outside loops: which frames of T the mask selects.
    struct MaskedRegion {
        var inSpatial: Dim
        var outSpatial: Dim
        /// Per batch entry, the frames t of T (within the sequence length) where the mask is true.
        var positions: [[Int]]
        var outLengths: [Int]
        /// The extent and per-sequence lengths of T.
        var inExtent: Int
        var inLengths: [Int]
    }

    let graph: NetworkGraph
    let inputs: EvaluationInputs
    let parameters: ParameterStore
    let mode: LoopMode
    let options: EvaluationOptions
    let plans: [LayerID: LoopPlan]
    let engine: TemplateEngine
    let batch: Int
    private(set) var paths: [LayerID: String] = [:]

    var memo: [Key: Tensor] = [:]
    var failures: [Key: EvaluationError] = [:]
    var inProgress = Set<Key>()
    var loopStates: [LayerID: LoopState] = [:]
    var completed: [LayerID: LoopState] = [:]
    var regions: [Key: MaskedRegion] = [:]
    var dimLengths: [String: [Int]] = [:]
    var parameterCache: [String: [Float]] = [:]
    var maskedStepsDone = Set<Key>()
    /// The time dim of the data key a loop without input takes its length from (RETURNN declares the loop's
    /// time dim the same as it); frames of values over it are unrolled like frames of the loop's own dim.
    var loopAliases: [LayerID: Dim] = [:]
    /// Per masked_computation, the layers of its subnetwork unit that are read from outside as `masked/x`.
    let maskedSubLayers: [LayerID: [LayerID]]

    var outputs: [String: Tensor] = [:]
    var outputOrder: [String] = []
    var unsupported: [UnsupportedLayer] = []
    var runtimeFailures: [UnsupportedLayer] = []
    var blocked: [UnsupportedLayer] = []
    var standIns: [StandIn] = []
    /// The paths in `standIns`.
    private var standInPaths = Set<String>()

    init(prepared: PreparedEvaluation, inputs: EvaluationInputs, parameters: ParameterStore, options: EvaluationOptions) {
        self.graph = prepared.graph
        self.inputs = inputs
        self.parameters = parameters
        self.mode = prepared.mode
        self.options = options
        self.batch = inputs.batch
        self.plans = prepared.plans
        self.engine = prepared.engine
        self.paths = prepared.paths
        self.maskedSubLayers = prepared.maskedSubLayers
        for (_, tensor) in inputs.data {
            for (name, l) in tensor.lengths { dimLengths[name] = l }
        }
    }

    // MARK: - Setup

    /// The loop plan of every rec layer with a dict unit; a rec layer's own `optimize_move_layers_out` wins
    /// over the mode, as in RETURNN (the mode plays the role of the global config setting).
    static func makePlans(graph: NetworkGraph, mode: LoopMode) -> [LayerID: LoopPlan] {
        var plans: [LayerID: LoopPlan] = [:]
        for node in graph.layers where node.className == "rec" {
            guard case .recUnit = node.layer.children else { continue }
            let own = node.layer.option("optimize_move_layers_out")?.boolValue
            plans[node.id] = LoopPlan(rec: node.id, graph: graph, optimize: own ?? (mode == .optimized))
        }
        return plans
    }

    /// Runs the template engine over the whole network the way `DimAnalysis` does (needed outputs of every
    /// unit first, then all layers in dependency order, repeated while `prev:` cycles are pending).
    static func inferTemplates(graph: NetworkGraph, plans: [LayerID: LoopPlan], engine: TemplateEngine) {
        for pass in 0..<3 {
            if pass > 0 {
                guard engine.usedPending else { break }
                engine.startNextPass()
            }
            for rec in plans.keys.sorted() {
                guard let scope = graph[rec].childScope else { continue }
                let inner = engine.actualLoops(rec) + [rec]
                for name in plans[rec]?.neededOutputs ?? [] {
                    if let id = graph[scope: scope].layerByName[name] { _ = engine.template(id, loops: inner) }
                }
            }
            for id in DimAnalysis.evaluationOrder(graph) { _ = engine.actualTemplate(id) }
        }
    }

    /// The path of every layer in the goldens' notation for this mode's plans.
    static func makePaths(graph: NetworkGraph, plans: [LayerID: LoopPlan]) -> [LayerID: String] {
        var result: [LayerID: String] = [:]
        func visit(scope: ScopeID, prefix: String) {
            let graphScope = graph[scope: scope]
            for id in graphScope.layers where graph[id].isEffective {
                let node = graph[id]
                var path = prefix.isEmpty ? node.name : "\(prefix)/\(node.name)"
                if graphScope.kind == .recUnit, let owner = graphScope.owner, let plan = plans[owner] {
                    let tag: String
                    switch plan.placement(of: node.name) {
                    case .inLoop: tag = "[loop]"
                    case .movedIn: tag = "[in]"
                    case .movedOut: tag = "[out]"
                    case .unused: tag = "[unused]"
                    }
                    path = "\(prefix)/\(tag)/\(node.name)"
                }
                result[id] = path
                if let unit = node.maskedUnit {
                    result[unit] = "\(path)/[unit]"
                    if let unitScope = graph[unit].childScope { visit(scope: unitScope, prefix: "\(path)/[unit]") }
                }
                if let child = node.childScope { visit(scope: child, prefix: path) }
            }
        }
        visit(scope: graph.root, prefix: "")
        return result
    }

    /// The path of a layer.
    func path(_ id: LayerID) -> String { paths[id] ?? graph[id].pathString }

    // MARK: - Running

    /// Evaluates every layer RETURNN builds at top level (output layers and what they need).
    func run() throws(EvaluationError) -> EvaluationResult {
        try checkConstruction()
        // Top-level layers in dependency order first, so that long chains do not recurse deeply.
        let built = Set(builtLayers())
        let rootScope = graph[scope: graph.root]
        let topLevel = Set(rootScope.layers)
        for id in DimAnalysis.evaluationOrder(graph) where topLevel.contains(id) && (built.contains(id) || options.allTopLevelLayers) {
            guard graph[id].isEffective, !graph[id].layer.isIgnored, graph[id].layer.option("only_on_search")?.boolValue != true else { continue }
            do throws(EvaluationError) {
                _ = try value(id, loops: [])
            } catch {
                switch error {
                case .unsupported, .runtime: continue
                default: throw error
                }
            }
        }
        for id in roots() {
            do throws(EvaluationError) {
                _ = try value(id, loops: [])
            } catch {
                try note(error, root: id)
            }
        }
        return EvaluationResult(
            mode: mode, outputs: outputs, paths: outputOrder, unsupported: unsupported, failed: runtimeFailures, blocked: blocked,
            standIns: standIns)
    }

    /// Records an unsupported layer or a run-time failure (and the root it blocks); rethrows every other error.
    func note(_ error: EvaluationError, root: LayerID) throws(EvaluationError) {
        let layer: String
        switch error {
        case .unsupported(let l, let reason):
            layer = l
            if !unsupported.contains(where: { $0.path == layer }) { unsupported.append(UnsupportedLayer(path: layer, reason: reason)) }
        case .runtime(let l, let message):
            layer = l
            if !runtimeFailures.contains(where: { $0.path == layer }) { runtimeFailures.append(UnsupportedLayer(path: layer, reason: message)) }
        default:
            throw error
        }
        let rootPath = path(root)
        if rootPath != layer, !blocked.contains(where: { $0.path == rootPath }) {
            blocked.append(UnsupportedLayer(path: rootPath, reason: "needs '\(layer)', which cannot be evaluated"))
        }
    }

    /// The top-level layers RETURNN constructs (`output`, output/loss layers, `register_as_extern_data`).
    func roots() -> [LayerID] {
        let scope = graph[scope: graph.root]
        var result: [LayerID] = []
        for id in scope.layers where graph[id].isEffective && !graph[id].layer.isIgnored {
            let layer = graph[id].layer
            let isOutput = layer.name == "output" || layer.name.hasSuffix(":output")
            if layer.option("only_on_search")?.boolValue == true { continue }
            if options.allTopLevelLayers {
                result.append(id)
                continue
            }
            let flagged = layer.option("is_output_layer")?.boolValue == true || LoopPlan.isSet(layer.option("loss"))
                || LoopPlan.isSet(layer.option("register_as_extern_data"))
            if isOutput || flagged { result.append(id) }
        }
        return result
    }

    /// The layers RETURNN builds: the roots, what they reference (current and previous frame), masked
    /// units, subnetwork outputs, and in rec units everything the loop plan reaches.
    func builtLayers() -> [LayerID] {
        var seen = Set<LayerID>()
        var order: [LayerID] = []
        var stack = roots()
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            order.append(id)
            let node = graph[id]
            for (_, target) in graph.references(of: id) {
                switch target {
                case .layer(let t), .previous(let t): stack.append(t)
                case .subLayer(let root, _, let inner): stack.append(inner ?? root)
                case .recInput(let rec): stack.append(rec)
                default: break
                }
            }
            if let unit = node.maskedUnit { stack.append(unit) }
            if let child = node.childScope {
                let scope = graph[scope: child]
                if let plan = plans[id] {
                    for name in plan.layersInLoop + plan.inputLayersMovedOut + plan.outputLayersMovedOut {
                        if let inner = scope.layerByName[name] { stack.append(inner) }
                    }
                } else if let output = scope.layerByName["output"] {
                    stack.append(output)
                }
                for inner in scope.layers where graph[inner].isEffective && graph[inner].layer.option("is_output_layer")?.boolValue == true {
                    stack.append(inner)
                }
            }
        }
        return order.sorted()
    }

    /// Fails like RETURNN's construction: a reference that does not resolve, a template RETURNN refuses, an
    /// `initial_output` on a masked_computation in a rec unit, a top-level unmask of a masked_computation.
    func checkConstruction() throws(EvaluationError) {
        for id in builtLayers() {
            let node = graph[id]
            if node.layer.isIgnored { continue }
            for (ref, target) in graph.references(of: id) {
                if case .unresolved(let reason) = target {
                    if reason == .extraNetwork { continue }
                    if ref.option == "initial_output", LayerSyntax.initialOutputKeywords.contains(ref.raw) { continue }
                    throw .construction(layer: path(id), message: "LayerNotFound: layer '\(ref.raw)' not found")
                }
            }
            if case .failed(let message) = engine.actualTemplate(id) {
                throw .construction(layer: path(id), message: message)
            }
            if node.className == "masked_computation", let initial = node.layer.option("initial_output"), !initial.isNull,
                engine.recUnitOwner(id) != nil
            {
                throw .construction(
                    layer: path(id), message: "AssertionError: masked_computation '\(node.name)' has initial_output, it should be configured via the unit")
            }
            if node.className == "masked_computation", node.layer.option("masked_from")?.stringValue == nil, graph.sources(of: id).count > 1 {
                throw .construction(layer: path(id), message: "AssertionError: masked_computation takes at most one source (len(self.sources) == 1)")
            }
            if node.className == "unmask", engine.actualLoops(id).isEmpty, enclosingRec(id) == nil,
                let source = graph.sources(of: id).first, directMaskedSource(source.target) != nil
            {
                throw .construction(
                    layer: path(id),
                    message: "AttributeError: 'NoneType' object has no attribute 'cell' (an unmask outside any rec layer directly on the masked_computation '\(source.ref.raw)'; put a copy layer in between)")
            }
        }
    }

    /// The masked_computation a reference names directly (`m` or `m/x`), if any.
    func directMaskedSource(_ target: ResolvedRef) -> LayerID? {
        switch target {
        case .layer(let id) where graph[id].className == "masked_computation": return id
        case .subLayer(let root, _, _) where graph[root].className == "masked_computation": return root
        default: return nil
        }
    }

    /// The innermost rec layer whose unit contains `id` (through subnetworks and masked units), if any.
    func enclosingRec(_ id: LayerID) -> LayerID? { engine.recUnitOwner(id) }

    // MARK: - Layer values

    /// The value of layer `id` running inside `loops` (its real placement).
    func value(_ id: LayerID, loops: [LayerID]) throws(EvaluationError) -> Tensor {
        try instance(Key(layer: id, loops: loops, view: .value))
    }

    /// A memoized instance.
    func instance(_ key: Key) throws(EvaluationError) -> Tensor {
        if let known = memo[key] { return known }
        if let failure = failures[key] { throw failure }
        guard !inProgress.contains(key) else {
            throw .construction(layer: path(key.layer), message: "cyclic dependency")
        }
        inProgress.insert(key)
        defer { inProgress.remove(key) }
        let result: Tensor
        do throws(EvaluationError) {
            switch key.view {
            case .value: result = try compute(key.layer, loops: key.loops)
            case .masked(let masked): result = try maskedView(masked: masked, inner: key.layer, loops: key.loops)
            case .recInput: result = try recInput(key.layer, loops: key.loops)
            }
        } catch {
            failures[key] = error
            throw error
        }
        memo[key] = result
        for (name, l) in result.lengths where dimLengths[name] == nil { dimLengths[name] = l }
        if key.loops.isEmpty, key.view == .value { record(path(key.layer), result) }
        return result
    }

    /// Records an output value under a path (first value wins).
    func record(_ path: String, _ tensor: Tensor) {
        guard outputs[path] == nil else { return }
        outputs[path] = tensor
        outputOrder.append(path)
    }

    /// Computes a layer's output with its class's kernel, shaped as its inferred template.
    func compute(_ id: LayerID, loops: [LayerID]) throws(EvaluationError) -> Tensor {
        let node = graph[id]
        let layerPath = path(id)
        let result = engine.template(id, loops: loops)
        if let override = options.overrides[id] { return try applyOverride(override, id: id, loops: loops, template: result.template) }
        if options.forcedStandIns.contains(id), case .known(let t) = result,
            let value = try? standIn(id, loops: loops, template: t, reason: "stand-in for a layer upstream of the checked region")
        {
            return value
        }
        let template: TensorTemplate
        switch result {
        case .failed(let message):
            throw .construction(layer: layerPath, message: message)
        case .unknown(let reason):
            try touchInputs(id, loops: loops)
            throw .unsupported(layer: layerPath, reason: "dims not inferred (\(reason))")
        case .known(let t):
            template = t
        }
        // Static sizes bound the output (dynamic axes are bounded by the run's sequence lengths).
        _ = try EvaluationLimits.elementCount(
            [batch] + template.dims.compactMap { $0.kind == .batch ? nil : $0.size }, what: "output", layer: layerPath)
        guard node.layer.isMapping, let className = node.className else {
            throw .unsupported(layer: layerPath, reason: "layer is not a dict with a class")
        }
        let nestedOptions: Set<String> = ["unit", "subnetwork", "true_layer", "false_layer"]
        if let opaque = node.layer.node.entries?.first(where: {
            !nestedOptions.contains($0.key.stringValue ?? "") && $0.value.containsOpaqueMarker
        }) {
            return try standInOrThrow(
                id, loops: loops, template: template, reason: "option '\(opaque.key.stringValue ?? "?")' is a Python object")
        }
        guard Kernels.supported.contains(className) else {
            return try standInOrThrow(id, loops: loops, template: template, reason: "layer class '\(className)' is not supported by the evaluator")
        }
        let context = KernelContext(run: self, id: id, loops: loops, template: template)
        do throws(EvaluationError) {
            guard let raw = try Kernels.run(className, context) else {
                throw EvaluationError.unsupported(layer: layerPath, reason: "layer class '\(className)' is not supported by the evaluator")
            }
            return try raw.conformed(to: template, layer: layerPath)
        } catch {
            if case .unsupported(let layer, let reason) = error, layer == layerPath {
                return try standInOrThrow(id, loops: loops, template: template, reason: reason)
            }
            throw error
        }
    }

    /// Evaluates every input of a layer (so that an unsupported input is blamed, not this layer).
    func touchInputs(_ id: LayerID, loops: [LayerID]) throws(EvaluationError) {
        for (ref, target) in graph.references(of: id) where ref.option != "collocate_with" {
            if ref.option == "initial_output" { continue }
            _ = try input(target, ref: ref, consumer: id, loops: loops)
        }
    }

    /// A random value with the layer's inferred dims when the policy allows it; otherwise the unsupported error.
    func standInOrThrow(_ id: LayerID, loops: [LayerID], template: TensorTemplate, reason: String) throws(EvaluationError) -> Tensor {
        guard options.standIns.allows(id) else { throw .unsupported(layer: path(id), reason: reason) }
        return try standIn(id, loops: loops, template: template, reason: reason)
    }

    /// A random value with the layer's inferred dims (seeded by the layer path and step, so that two networks
    /// evaluated with the same seed get the same stand-in values).
    func standIn(_ id: LayerID, loops: [LayerID], template: TensorTemplate, reason: String) throws(EvaluationError) -> Tensor {
        let layerPath = path(id)
        let (shape, lengths) = try Tensor.layout(of: template, batch: batch) { dim throws(EvaluationError) in
            guard let l = dimLengths[dim.name] else {
                throw .unsupported(layer: layerPath, reason: "\(reason); no stand-in: the lengths of dim '\(dim.name)' are not known at run time")
            }
            return l
        }
        var step = 0
        if let rec = loops.last, let state = loopStates[rec] { step = state.step }
        let name = "\(layerPath)#\(step)"
        let count = try EvaluationLimits.elementCount(shape, what: "stand-in", layer: layerPath)
        let cacheKey = "\(options.standInSeed)\u{0}\(name)\u{0}\(count)\u{0}\(template.sparseDim?.size ?? -1)\u{0}\(template.dtype)"
        let values: [Float]
        if let cached = options.standInCache?.values(for: cacheKey) {
            values = cached
        } else {
            values = Self.drawStandIn(count: count, template: template, random: RandomSource(seed: options.standInSeed, name: name))
            options.standInCache?.store(values, for: cacheKey)
        }
        if standInPaths.insert(layerPath).inserted {
            standIns.append(StandIn(path: layerPath, template: template, reason: reason))
        }
        return Tensor(template: template, shape: shape, lengths: lengths, values: values)
    }

    /// Random stand-in values: class indices for sparse data, 0/1 for bool, small integers, else standard normal.
    private static func drawStandIn(count: Int, template: TensorTemplate, random: RandomSource) -> [Float] {
        var random = random
        var values = [Float](repeating: 0, count: count)
        if let classes = template.sparseDim?.size {
            for i in 0..<count { values[i] = Float(random.integer(below: max(1, classes))) }
        } else if template.dtype == "bool" {
            for i in 0..<count { values[i] = random.integer(below: 2) == 1 ? 1 : 0 }
        } else if template.dtype.hasPrefix("int") {
            for i in 0..<count { values[i] = Float(random.integer(below: 10)) }
        } else {
            for i in 0..<count { values[i] = Float(random.normal()) }
        }
        return values
    }

    /// A caller-provided value for a layer: frame t of each loop the layer runs in when it has that loop's time dim.
    func applyOverride(_ override: Tensor, id: LayerID, loops: [LayerID], template: TensorTemplate?) throws(EvaluationError) -> Tensor {
        var value = override
        for rec in loops {
            guard let time = engine.loopDim(rec), value.has(time), let state = loopStates[rec] else { continue }
            value = value.frame(state.step, of: time) ?? value
        }
        for dim in value.dims where dim.isDynamic && dim.kind != .batch && value.lengths[dim.name] == nil {
            if let l = dimLengths[dim.name] { value.lengths[dim.name] = l }
        }
        guard let template else { return value }
        guard value.permutation(to: template.dims) != nil else {
            throw .invalidInput("override of '\(path(id))' has dims \(TensorTemplate(dims: value.dims)), the layer has \(template)")
        }
        var out = try value.conformed(to: template, layer: path(id))
        if template.dtype == "bool" { out.values = out.values.map { $0 != 0 ? 1 : 0 } }
        return out
    }

    // MARK: - References

    /// The value a resolved reference gives a consumer that runs inside `loops` (mirrors `TemplateEngine.input`).
    func input(_ target: ResolvedRef, ref: LayerRef, consumer: LayerID, loops: [LayerID]) throws(EvaluationError) -> Tensor {
        let raw = try rawInput(target, ref: ref, consumer: consumer, loops: loops)
        return try applyMaskedRegion(raw, target: target, consumer: consumer, loops: loops)
    }

    private func rawInput(_ target: ResolvedRef, ref: LayerRef, consumer: LayerID, loops: [LayerID]) throws(EvaluationError) -> Tensor {
        switch target {
        case .layer(let id):
            return try across(Key(layer: id, loops: engine.actualLoops(id), view: .value), to: loops) { self.engine.isWithinUnit(id, of: $0) }
        case .previous(let id):
            return try previous(id, consumer: consumer, loops: loops)
        case .subLayer(let root, _, let inner):
            guard let inner else {
                throw .unsupported(layer: path(consumer), reason: "sub-layer '\(ref.raw)' of a layer without a nested dict")
            }
            if graph[root].className == "masked_computation" {
                return try across(Key(layer: inner, loops: engine.actualLoops(root), view: .masked(root)), to: loops) {
                    self.engine.isWithinUnit(root, of: $0)
                }
            }
            return try across(Key(layer: inner, loops: engine.actualLoops(inner), view: .value), to: loops) {
                self.engine.isWithinUnit(inner, of: $0)
            }
        case .externData(let key):
            // `base:data` read inside a rec unit is the parent network's whole tensor: only the loops around the
            // network the name resolves in unroll it (as in `TemplateEngine.rawInput`).
            let framing = engine.loopsAround(scopeOf: ref, readBy: consumer)
            if let rec = loops.last(where: { framing.contains($0) }), !engine.keysMarkedUsed(in: rec).contains(key) {
                // Inside a loop RETURNN has only templates of extern data (rec.py:1399-1409): no values.
                throw .construction(
                    layer: path(consumer),
                    message: "extern data '\(key)' is read inside the loop of '\(path(rec))', where RETURNN has only its template (no value; source.output missing placeholder)")
            }
            let tensor: Tensor
            if let given = inputs.data[key] {
                tensor = given
            } else if let registered = registeredData(key) {
                // `register_as_extern_data`: the data key is that (top-level) layer's output.
                tensor = try value(registered, loops: engine.actualLoops(registered))
            } else {
                throw .unsupported(layer: path(consumer), reason: "no value for data key '\(key)' (not among the inputs)")
            }
            // A moved-out unit layer reads extern data through a helper layer (`rec/[out]/data`).
            if loops.isEmpty, ref.baseLevels == 0, graph[scope: graph[consumer].scope].kind == .recUnit, let consumerPath = paths[consumer],
                let slash = consumerPath.lastIndex(of: "/")
            {
                record("\(consumerPath[..<slash])/\(ref.raw)", tensor)
            }
            return try enter(tensor, from: [], to: loops, consumer: consumer) { framing.contains($0) }
        case .recInput(let rec):
            let recLoops = engine.actualLoops(rec)
            return try across(Key(layer: rec, loops: recLoops, view: .recInput), to: loops) { $0 == rec }
        case .subnetworkInput(let sub):
            var sources: [Tensor] = []
            for source in graph.sources(of: sub) {
                sources.append(try input(source.target, ref: source.ref, consumer: sub, loops: loops))
            }
            if graph[sub].layer.option("concat_sources")?.boolValue == false {
                guard let first = sources.first else { throw .unsupported(layer: path(sub), reason: "subnetwork without input") }
                return first
            }
            return try Kernels.concatenated(sources, name: graph[sub].name, layer: path(sub), broadcastMatches: ShapeRules.broadcastMatches(graph))
        case .maskedInput(let masked):
            if graph[masked].layer.option("masked_from")?.stringValue != nil, let from = graph.reference(of: masked, option: "masked_from") {
                return try input(from.target, ref: from.ref, consumer: masked, loops: loops)
            }
            guard let first = graph.sources(of: masked).first else {
                throw .unsupported(layer: path(masked), reason: "masked_computation without input")
            }
            return try input(first.target, ref: first.ref, consumer: masked, loops: loops)
        case .stepIndex(let rec):
            if loops.contains(rec) {
                guard let state = loopStates[rec] else { throw .inconsistency(layer: path(consumer), message: "':i' outside its running loop") }
                return .scalar(Float(state.step), dtype: "int32")
            }
            let recLoops = engine.actualLoops(rec)
            let (time, lengths, steps) = try loopExtent(rec)
            let range = Tensor(
                template: TensorTemplate(dims: [time], dtype: "int32"), shape: [steps], lengths: [time.name: lengths],
                values: (0..<steps).map(Float.init))
            return try enter(range, from: recLoops, to: loops, consumer: consumer) { _ in true }
        case .unresolved(.extraNetwork):
            throw .unsupported(layer: path(consumer), reason: "reference '\(ref.raw)' to an extra network (not modelled)")
        case .unresolved:
            throw .construction(layer: path(consumer), message: "LayerNotFound: layer '\(ref.raw)' not found")
        }
    }

    /// The layer that registers a data key (`register_as_extern_data`), if any.
    func registeredData(_ key: String) -> LayerID? {
        graph.layers.first { $0.isEffective && $0.layer.option("register_as_extern_data")?.stringValue == key }?.id
    }

    /// An instance read from a consumer in `loops`: accumulated when the consumer is outside the instance's
    /// innermost loop, then frame t of every loop entered where `unroll` allows it.
    func across(_ key: Key, to loops: [LayerID], unroll: (LayerID) -> Bool) throws(EvaluationError) -> Tensor {
        let leaving = key.loops.filter { !loops.contains($0) }
        var value: Tensor
        var from = key.loops
        if leaving.isEmpty {
            value = try instance(key)
        } else {
            guard leaving.count == 1, let rec = key.loops.last, leaving[0] == rec else {
                throw .unsupported(layer: path(key.layer), reason: "value read from outside several nested loops")
            }
            value = try accumulated(key, rec: rec)
            from.removeLast()
            if from.isEmpty, key.view == .value, graph[scope: graph[key.layer].scope].owner == rec, let recPath = paths[rec] {
                record("\(recPath)/[out]/\(graph[key.layer].name)", value)
            }
        }
        return try enter(value, from: from, to: loops, consumer: key.layer, unroll: unroll)
    }

    /// Takes frame t of every loop in `to` but not in `from` whose time dim the value has (when `unroll` allows).
    func enter(_ value: Tensor, from: [LayerID], to: [LayerID], consumer: LayerID, unroll: (LayerID) -> Bool) throws(EvaluationError) -> Tensor {
        var out = value
        for rec in to where !from.contains(rec) && unroll(rec) {
            guard let loopTime = engine.loopDim(rec) else { continue }
            var candidates = [loopTime]
            if let alias = loopAliases[rec] { candidates.append(alias) }
            guard let time = candidates.first(where: { out.has($0) }) else { continue }
            guard let state = loopStates[rec] else {
                throw .inconsistency(layer: path(consumer), message: "loop of '\(path(rec))' is not running")
            }
            out = out.frame(state.step, of: time) ?? out
        }
        return out
    }

    /// The frames of an in-loop instance over a finished loop, stacked time-major.
    func accumulated(_ key: Key, rec: LayerID) throws(EvaluationError) -> Tensor {
        if completed[rec] == nil { _ = try value(rec, loops: engine.actualLoops(rec)) }
        guard let state = completed[rec] else {
            throw .inconsistency(layer: path(key.layer), message: "the loop of '\(path(rec))' has not run")
        }
        guard let frames = state.frames[key], frames.count == state.steps, let first = frames.first else {
            if state.steps == 0 {
                throw .unsupported(layer: path(key.layer), reason: "a loop without frames")
            }
            throw .inconsistency(layer: path(key.layer), message: "not computed in every frame of the loop of '\(path(rec))'")
        }
        if first.has(state.time) {
            throw .unsupported(layer: path(key.layer), reason: "accumulating a per-frame value that already has the loop's time dim")
        }
        return Tensor.stacked(frames, along: state.time, lengths: state.lengths, frameTemplate: first.template, frameShape: first.shape)
    }

    /// `prev:x`: inside x's loop the previous frame (initial output at t=0), outside it the sequence shifted
    /// right by one frame with the initial output at t=0 (§3.3).
    func previous(_ id: LayerID, consumer: LayerID, loops: [LayerID]) throws(EvaluationError) -> Tensor {
        guard let rec = graph[scope: graph[id].scope].owner, graph[scope: graph[id].scope].kind == .recUnit else {
            throw .construction(layer: path(consumer), message: "prev: outside a rec unit")
        }
        let ownLoops = engine.actualLoops(id)
        let unroll = { (r: LayerID) in self.engine.isWithinUnit(id, of: r) }
        guard let time = engine.loopDim(rec) else { throw .unsupported(layer: path(consumer), reason: "the loop's time dim is unknown") }
        if loops.contains(rec) {
            guard let state = loopStates[rec] else { throw .inconsistency(layer: path(consumer), message: "prev: outside its running loop") }
            let t = state.step
            if ownLoops.contains(rec) {
                let value: Tensor
                if t == 0 {
                    value = try initialOutput(id, frame: try frameTemplate(id, rec: rec))
                } else {
                    guard let p = state.prev[id] else { throw .inconsistency(layer: path(id), message: "no previous frame") }
                    value = p
                }
                return try enter(value, from: ownLoops, to: loops, consumer: id, unroll: unroll)
            }
            let whole = try value(id, loops: ownLoops)
            guard whole.has(time) else {
                throw .unsupported(layer: path(consumer), reason: "prev: of a moved-out layer without the loop's time dim")
            }
            let frame = t == 0 ? try initialOutput(id, frame: try frameTemplate(id, rec: rec)) : (whole.frame(t - 1, of: time) ?? whole)
            return try enter(frame, from: ownLoops + [rec], to: loops, consumer: id, unroll: unroll)
        }
        // Outside the loop: the whole sequence shifted by one frame.
        let outer = engine.actualLoops(rec)
        let sequence = try across(Key(layer: id, loops: ownLoops, view: .value), to: outer, unroll: unroll)
        guard let axis = sequence.axis(of: time) else {
            throw .unsupported(layer: path(consumer), reason: "prev: of a value without the loop's time dim outside the loop")
        }
        let initial = try initialOutput(id, frame: try frameTemplate(id, rec: rec))
        let shifted = try Kernels.shiftRight(sequence, axis: axis, initial: initial, layer: path(consumer))
        return try enter(shifted, from: outer, to: loops, consumer: id, unroll: unroll)
    }

    /// The per-frame template of a unit layer (its template without the loop's time dim).
    func frameTemplate(_ id: LayerID, rec: LayerID) throws(EvaluationError) -> TensorTemplate {
        guard let t = engine.template(id, loops: engine.actualLoops(id)).template else {
            throw .unsupported(layer: path(id), reason: "dims not inferred")
        }
        if let time = engine.loopDim(rec), t.contains(time) { return t.removing(time) }
        return t
    }

    // MARK: - Initial outputs

    /// A layer's output at t=-1 (RETURNN's `get_rec_initial_output`) with the given per-frame dims.
    func initialOutput(_ id: LayerID, frame: TensorTemplate) throws(EvaluationError) -> Tensor {
        let node = graph[id]
        if node.className == "masked_computation", let unit = node.maskedUnit {
            if let initial = node.layer.option("initial_output"), !initial.isNull {
                throw .construction(layer: path(id), message: "AssertionError: initial_output should be configured via the unit")
            }
            return try initialOutput(unit, frame: frame)
        }
        var shape: [Int] = []
        var lengths: [String: [Int]] = [:]
        for dim in frame.dims {
            if dim.kind == .batch {
                shape.append(batch)
            } else if let size = dim.size {
                shape.append(size)
            } else if let l = dimLengths[dim.name] {
                shape.append(l.max() ?? 0)
                lengths[dim.name] = l
            } else {
                throw .unsupported(layer: path(id), reason: "initial output over dim '\(dim.name)' whose lengths are unknown")
            }
        }
        let option = node.layer.option("initial_output")
        if case .builtinUnit = node.layer.children, node.className == "rec" || node.className == "rnn_cell" {
            if let state = node.layer.option("initial_state"), !state.isNull, state.numberValue != 0, state.stringValue != "zeros" {
                throw .unsupported(layer: path(id), reason: "initial_state other than zeros")
            }
            return .filled(0, template: frame, shape: shape, lengths: lengths)
        }
        guard let option, !option.isNull else {
            if frame.isSparse {
                throw .construction(layer: path(id), message: "You must explicitly provide an initial output value for sparse data")
            }
            return .filled(0, template: frame, shape: shape, lengths: lengths)
        }
        if let number = option.numberValue { return .filled(Float(number), template: frame, shape: shape, lengths: lengths) }
        if let flag = option.boolValue { return .filled(flag ? 1 : 0, template: frame, shape: shape, lengths: lengths) }
        switch option.stringValue {
        case "zeros": return .filled(0, template: frame, shape: shape, lengths: lengths)
        case "ones": return .filled(1, template: frame, shape: shape, lengths: lengths)
        case let text?:
            throw .unsupported(layer: path(id), reason: "initial_output '\(text)' is not supported")
        case nil:
            throw .unsupported(layer: path(id), reason: "initial_output of this kind is not supported")
        }
    }

    // MARK: - Parameters

    /// RETURNN's variable-name prefix of a layer: its path with `rec` after rec layers; a masked unit uses
    /// its masked layer's name (`output/rec/masked`), subnetwork layers nest (`sub/a`).
    func parameterPrefix(_ id: LayerID) -> String {
        var components: [String] = []
        var current = id
        while true {
            let node = graph[current]
            switch node.role {
            case .maskedUnit(let masked):
                current = masked
                continue
            case .condBranch(let owner):
                current = owner
                continue
            case .entry:
                components.insert(node.name, at: 0)
                let scope = graph[scope: node.scope]
                guard let owner = scope.owner else { return components.joined(separator: "/") }
                if scope.kind == .recUnit { components.insert("rec", at: 0) }
                current = owner
            }
        }
    }

    /// A parameter's values (cached per run).
    func parameter(_ name: String, shape: [Int], role: ParameterRole) throws(EvaluationError) -> [Float] {
        let key = "\(name)\u{0}\(shape)"
        if let cached = parameterCache[key] { return cached }
        _ = try EvaluationLimits.elementCount(shape, what: "parameter '\(name)'", layer: name)
        let values = try parameters.values(for: name, shape: shape, role: role)
        parameterCache[key] = values
        return values
    }

    // MARK: - Loops

    /// The loop's time dim, the sequence lengths and the number of steps of a rec layer.
    func loopExtent(_ rec: LayerID) throws(EvaluationError) -> (Dim, [Int], Int) {
        guard let time = engine.loopDim(rec) else {
            throw .unsupported(layer: path(rec), reason: "the loop's time dim is unknown")
        }
        if !graph.sources(of: rec).isEmpty {
            let input = try instance(Key(layer: rec, loops: engine.actualLoops(rec), view: .recInput))
            if let axis = input.axis(of: time), let l = input.lengths[time.name] ?? dimLengths[time.name] {
                return (time, l, input.shape[axis])
            }
        }
        if let l = dimLengths[time.name] { return (time, l, l.max() ?? 0) }
        // Without an input, RETURNN takes the loop's length from the smallest data key the unit uses
        // (rec.py:1416-1418), e.g. the target of a choice layer.
        var keys = Set<String>()
        for node in graph.layers where engine.isWithinUnit(node.id, of: rec) {
            for (_, target) in graph.references(of: node.id) {
                if case .externData(let key) = target { keys.insert(key) }
            }
            if node.className == "choice", ShapeRules.choiceUsesTarget(node.layer), let key = node.layer.option("target")?.stringValue {
                keys.insert(key)
            }
        }
        if let key = keys.min(), let data = inputs.data[key], let dataTime = data.template.timeDim, let l = data.lengths[dataTime.name] {
            dimLengths[time.name] = l
            if dataTime != time { loopAliases[rec] = dataTime }
            var steps = l.max() ?? 0
            if let axis = data.axis(of: dataTime) { steps = data.shape[axis] }
            return (time, l, steps)
        }
        throw .unsupported(layer: path(rec), reason: "the loop's lengths are unknown (no input over '\(time.name)')")
    }

    /// The rec layer's input: its sources concatenated, in the rec layer's own context.
    func recInput(_ rec: LayerID, loops: [LayerID]) throws(EvaluationError) -> Tensor {
        var sources: [Tensor] = []
        for source in graph.sources(of: rec) {
            sources.append(try input(source.target, ref: source.ref, consumer: rec, loops: loops))
        }
        guard !sources.isEmpty else { throw .unsupported(layer: path(rec), reason: "rec layer without input") }
        return try Kernels.concatenated(sources, name: graph[rec].name, layer: path(rec), broadcastMatches: ShapeRules.broadcastMatches(graph))
    }

    /// Runs a rec layer with a dict unit in the context `loops`: moved-in layers over the whole sequence,
    /// the loop frame by frame, then moved-out layers; returns the accumulated (or moved-out) `output`.
    func runLoop(_ rec: LayerID, loops: [LayerID]) throws(EvaluationError) -> Tensor {
        guard let plan = plans[rec], let unit = graph[rec].childScope else {
            throw .unsupported(layer: path(rec), reason: "rec layer without a dict unit")
        }
        let scope = graph[scope: unit]
        guard let output = scope.layerByName["output"] else {
            throw .construction(layer: path(rec), message: "rec unit without an 'output' layer")
        }
        let inner = loops + [rec]
        let (time, lengths, steps) = try loopExtent(rec)
        dimLengths[time.name] = lengths
        completed[rec] = nil
        let recPath = path(rec)
        for name in plan.inputLayersMovedOut {
            try evaluateUnitNode(name, scope: scope, rec: rec, loops: loops, recPath: recPath)
        }
        let state = LoopState(rec: rec, time: time, lengths: lengths, steps: steps, inner: inner)
        loopStates[rec] = state
        defer { loopStates[rec] = nil }
        let inLoop = plan.layersInLoop.compactMap { scope.layerByName[$0] }
        for t in 0..<steps {
            state.step = t
            state.before = [:]
            clearLoopInstances(rec)
            for id in inLoop { _ = try value(id, loops: inner) }
            for (key, v) in memo where key.loops == inner { state.frames[key, default: []].append(v) }
            for id in inLoop {
                if let v = memo[Key(layer: id, loops: inner, view: .value)] { state.prev[id] = v }
            }
        }
        clearLoopInstances(rec)
        loopStates[rec] = nil
        completed[rec] = state
        for name in plan.outputLayersMovedOut {
            try evaluateUnitNode(name, scope: scope, rec: rec, loops: loops, recPath: recPath)
        }
        let result: Tensor
        if plan.placement(of: "output") == .inLoop {
            result = try accumulated(Key(layer: output, loops: inner, view: .value), rec: rec)
        } else {
            result = try value(output, loops: loops)
        }
        if loops.isEmpty {
            record("\(recPath)/[out]/output", result)
            if options.collectLoopLayers {
                for id in inLoop {
                    if let v = try? accumulated(Key(layer: id, loops: inner, view: .value), rec: rec) {
                        record("\(recPath)/[loop]/\(graph[id].name)", v)
                    }
                }
            }
        }
        return result
    }

    /// Evaluates one node of a loop plan that runs outside the loop (a layer, or `:i` as a range).
    private func evaluateUnitNode(_ name: String, scope: GraphScope, rec: LayerID, loops: [LayerID], recPath: String) throws(EvaluationError) {
        if name == ":i" {
            if loops.isEmpty {
                let (time, lengths, steps) = try loopExtent(rec)
                record(
                    "\(recPath)/[out]/:i",
                    Tensor(template: TensorTemplate(dims: [time], dtype: "int32"), shape: [steps], lengths: [time.name: lengths], values: (0..<steps).map(Float.init)))
            }
            return
        }
        guard !name.contains("/"), let id = scope.layerByName[name] else { return }
        _ = try value(id, loops: loops)
    }

    /// Forgets the instances of a loop's step (and of loops nested in it) before the next step.
    func clearLoopInstances(_ rec: LayerID) {
        memo = memo.filter { !$0.key.loops.contains(rec) }
        failures = failures.filter { !$0.key.loops.contains(rec) }
        regions = regions.filter { !$0.key.loops.contains(rec) }
        maskedStepsDone = maskedStepsDone.filter { !$0.loops.contains(rec) }
        for nested in completed.keys where engine.actualLoops(nested).contains(rec) { completed[nested] = nil }
    }

    /// The loop state a layer instance in `loops` keeps its recurrent state in.
    func loopState(_ loops: [LayerID], layer: LayerID) throws(EvaluationError) -> LoopState {
        guard let rec = loops.last, let state = loopStates[rec] else {
            throw .inconsistency(layer: path(layer), message: "recurrent state outside a running loop")
        }
        return state
    }

    /// Reads a state slot (its initial value when not set yet).
    func readState(_ key: StateKey, loops: [LayerID], initial: () throws(EvaluationError) -> Tensor) throws(EvaluationError) -> Tensor {
        let state = try loopState(loops, layer: key.layer)
        if let value = state.state[key] { return value }
        return try initial()
    }

    /// Writes a state slot, remembering its value before the step (for masked_computation's state select).
    func writeState(_ key: StateKey, _ value: Tensor, previous: Tensor, loops: [LayerID]) throws(EvaluationError) {
        let state = try loopState(loops, layer: key.layer)
        if state.before[key] == nil { state.before[key] = previous }
        state.state[key] = value
    }

    // MARK: - Masked computation

    /// Inside a masked unit that runs outside loops, inputs from outside the unit that have the masked axis T
    /// are compacted onto T' (mirrors `TemplateEngine.applyMaskedRegion`).
    func applyMaskedRegion(_ value: Tensor, target: ResolvedRef, consumer: LayerID, loops: [LayerID]) throws(EvaluationError) -> Tensor {
        guard loops.isEmpty, let masked = engine.enclosingMasked(consumer) else { return value }
        if let producer = target.layerID, LoopPlan.isNested(producer, in: masked, graph: graph), producer != masked { return value }
        if graph[masked].layer.option("masked_from")?.stringValue != nil { return value }
        guard let dims = engine.maskedDims(masked, loops: loops), value.has(dims.inSpatial) else { return value }
        let region = try maskedRegion(masked, loops: loops)
        return try Kernels.compact(value, region: region, layer: path(consumer))
    }

    /// Which frames a masked_computation outside loops selects: `mask AND seq_mask` (§1.4).
    func maskedRegion(_ masked: LayerID, loops: [LayerID]) throws(EvaluationError) -> MaskedRegion {
        let key = Key(layer: masked, loops: loops, view: .value)
        if let known = regions[key] { return known }
        let layerPath = path(masked)
        guard let dims = engine.maskedDims(masked, loops: loops) else {
            throw .unsupported(layer: layerPath, reason: "the masked axis is unknown")
        }
        guard let maskRef = graph.reference(of: masked, option: "mask") else {
            throw .construction(layer: layerPath, message: "masked_computation without mask")
        }
        let mask = try input(maskRef.target, ref: maskRef.ref, consumer: masked, loops: loops)
        guard let timeAxis = mask.axis(of: dims.inSpatial), let batchAxis = mask.template.batchAxis, mask.dims.count == 2 else {
            throw .construction(layer: layerPath, message: "invalid mask \(mask.template) (outside rec loop)")
        }
        let lengths = mask.lengths[dims.inSpatial.name] ?? dimLengths[dims.inSpatial.name] ?? Array(repeating: mask.shape[timeAxis], count: batch)
        let strides = mask.strides
        var positions: [[Int]] = []
        for b in 0..<mask.shape[batchAxis] {
            var list: [Int] = []
            for t in 0..<min(mask.shape[timeAxis], lengths[b]) where mask.values[b * strides[batchAxis] + t * strides[timeAxis]] != 0 {
                list.append(t)
            }
            positions.append(list)
        }
        let outLengths = positions.map(\.count)
        dimLengths[dims.outSpatial.name] = outLengths
        let region = MaskedRegion(
            inSpatial: dims.inSpatial, outSpatial: dims.outSpatial, positions: positions, outLengths: outLengths,
            inExtent: mask.shape[timeAxis], inLengths: lengths)
        regions[key] = region
        return region
    }

    /// A masked_computation's output (inner = its unit) or sub-layer output (inner = a layer of a subnetwork
    /// unit) as seen outside the unit: ctx B carries the previous value where the mask is false (§1.3),
    /// ctx C unmasks back to T with the inner layer's initial output (§1.4/§1.5), ctx A and D give the unit's
    /// value on T'.
    func maskedView(masked: LayerID, inner: LayerID, loops: [LayerID]) throws(EvaluationError) -> Tensor {
        let node = graph[masked]
        let layerPath = path(masked)
        if !loops.isEmpty {
            if node.layer.option("masked_from")?.stringValue != nil {
                throw .construction(layer: layerPath, message: "masked_computation with masked_from cannot be built inside a loop")
            }
            return try maskedStep(masked, inner: inner, loops: loops)
        }
        let innerValue = try value(inner, loops: loops)
        if node.layer.option("masked_from")?.stringValue != nil { return innerValue }
        guard let rec = engine.recUnitOwner(masked), !loops.contains(rec) else { return innerValue }
        guard let dims = engine.maskedDims(masked, loops: loops) else {
            throw .unsupported(layer: layerPath, reason: "the masked axis is unknown")
        }
        guard innerValue.has(dims.outSpatial) else { return innerValue }
        let region = try maskedRegion(masked, loops: loops)
        let frame = innerValue.template.removing(dims.outSpatial)
        let initial = try initialOutput(inner, frame: frame)
        return try Kernels.unmaskRegion(innerValue, region: region, initial: initial, layer: layerPath)
    }

    /// One step of a masked_computation inside a loop (§1.3), for its output (inner = unit) or a sub-layer.
    func maskedStep(_ masked: LayerID, inner: LayerID, loops: [LayerID]) throws(EvaluationError) -> Tensor {
        try runMaskedStep(masked, loops: loops)
        guard let value = memo[Key(layer: inner, loops: loops, view: .masked(masked))] else {
            throw .inconsistency(layer: path(inner), message: "masked sub-layer not computed in the step")
        }
        return value
    }

    /// Runs the unit of an in-loop masked_computation once per step: the unit (and every sub-layer read from
    /// outside as `masked/x`) runs on the frame; then every state slot below the unit, the output and each
    /// sub-layer output keep their previous value where the mask is false.
    func runMaskedStep(_ masked: LayerID, loops: [LayerID]) throws(EvaluationError) {
        let stepKey = Key(layer: masked, loops: loops, view: .masked(masked))
        guard !maskedStepsDone.contains(stepKey) else { return }
        maskedStepsDone.insert(stepKey)
        let layerPath = path(masked)
        guard let unit = graph[masked].maskedUnit else { throw .unsupported(layer: layerPath, reason: "masked_computation without a unit dict") }
        guard let maskRef = graph.reference(of: masked, option: "mask") else {
            throw .construction(layer: layerPath, message: "masked_computation without mask")
        }
        let state = try loopState(loops, layer: masked)
        let mask = try input(maskRef.target, ref: maskRef.ref, consumer: masked, loops: loops)
        guard mask.dims.count == 1, mask.template.batchAxis == 0, mask.isBool else {
            throw .construction(layer: layerPath, message: "invalid mask \(mask.template) (inside rec loop)")
        }
        var inners: [(LayerID, Tensor)] = [(unit, try value(unit, loops: loops))]
        for sub in maskedSubLayers[masked, default: []] { inners.append((sub, try value(sub, loops: loops))) }
        let nested = Set(LoopPlan.nestedLayers(of: masked, graph: graph))
        for (key, old) in state.before where nested.contains(key.layer) {
            guard let new = state.state[key] else { continue }
            state.state[key] = try Kernels.select(mask, new, old, layer: layerPath)
        }
        for (inner, current) in inners {
            let slot = StateKey(layer: masked, slot: inner == unit ? "_output" : "_output/\(graph[inner].name)")
            let previous = try readState(slot, loops: loops) { () throws(EvaluationError) -> Tensor in
                try initialOutput(inner, frame: current.template)
            }
            let carried = try Kernels.select(mask, current, try previous.conformed(to: current.template, layer: layerPath), layer: layerPath)
            try writeState(slot, carried, previous: previous, loops: loops)
            memo[Key(layer: inner, loops: loops, view: .masked(masked))] = carried
        }
    }
}
