/// How rec loops with a dict unit are run.
public enum LoopMode: String, Sendable, Hashable, CaseIterable {
    /// `optimize_move_layers_out: False`: every unit layer runs frame by frame inside the loop.
    case unoptimized = "noopt"
    /// RETURNN's default: the loop plan applied (moved-out layers run over the whole sequence).
    case optimized = "opt"
}

/// Which unsupported layers may be replaced by random values with their inferred dims.
public enum StandInPolicy: Sendable, Hashable {
    /// None: an unsupported layer is reported and everything that needs it is not evaluated.
    case none
    /// Every unsupported layer whose dims are inferred.
    case any
    /// Only these layers (e.g. the ones upstream of the region a rewrite check compares).
    case layers(Set<LayerID>)

    func allows(_ id: LayerID) -> Bool {
        switch self {
        case .none: return false
        case .any: return true
        case .layers(let set): return set.contains(id)
        }
    }
}

/// Options of one evaluation.
public struct EvaluationOptions: Sendable {
    /// Which unsupported layers get random stand-ins.
    public var standIns: StandInPolicy
    /// The seed of stand-in values.
    public var standInSeed: UInt64
    /// Values that replace layers' outputs: full-sequence tensors (inside a loop, frame t is used).
    public var overrides: [LayerID: Tensor]
    /// Also report in-loop layers, accumulated over their loop, as `rec/[loop]/x`.
    public var collectLoopLayers: Bool
    /// Evaluate every top-level layer, not only those RETURNN builds (output layers and what they need).
    public var allTopLevelLayers: Bool
    /// Layers replaced by random values with their inferred dims even though they could be computed (the fix
    /// verifier uses this for layers upstream of the rewritten region: any consistent value will do, and it
    /// saves computing them). When a stand-in is impossible (unknown lengths) the layer is computed.
    public var forcedStandIns: Set<LayerID> = []
    /// Where stand-in values are kept across evaluations with the same stand-in seed (nil: drawn every time).
    public var standInCache: DrawnValueCache?

    /// Creates options (defaults: no stand-ins, no overrides, no in-loop layers).
    public init(
        standIns: StandInPolicy = .none, standInSeed: UInt64 = 0, overrides: [LayerID: Tensor] = [:], collectLoopLayers: Bool = false,
        allTopLevelLayers: Bool = false
    ) {
        self.allTopLevelLayers = allTopLevelLayers
        self.standIns = standIns
        self.standInSeed = standInSeed
        self.overrides = overrides
        self.collectLoopLayers = collectLoopLayers
    }
}

/// A layer the evaluator cannot compute, by path, with the reason.
public struct UnsupportedLayer: Sendable, Hashable, CustomStringConvertible {
    /// The layer path (conformance notation).
    public var path: String
    /// Why it cannot be evaluated.
    public var reason: String

    /// `path: reason`.
    public var description: String { "\(path): \(reason)" }
}

/// A layer replaced by random values with its inferred dims.
public struct StandIn: Sendable, Hashable {
    /// The layer path.
    public var path: String
    /// The dims the random value has.
    public var template: TensorTemplate
    /// Why the layer itself could not be evaluated.
    public var reason: String
}

/// The values of one evaluation, by layer path (the goldens' notation: `lin`, `sub/x`, `output`,
/// `output/[in]/x`, `output/[out]/x`, `m/[unit]`, and with `collectLoopLayers` `output/[loop]/x`).
public struct EvaluationResult: Sendable {
    /// The loop mode.
    public let mode: LoopMode
    /// The values by path.
    public let outputs: [String: Tensor]
    /// The paths in the order they were evaluated.
    public let paths: [String]
    /// Layers that cannot be evaluated.
    public let unsupported: [UnsupportedLayer]
    /// Layers that fail at run time as they would in RETURNN (e.g. an index out of range), with the message.
    public let failed: [UnsupportedLayer]
    /// Layers not evaluated because something they need is unsupported (the reason names it).
    public let blocked: [UnsupportedLayer]
    /// Layers replaced by random values.
    public let standIns: [StandIn]

    /// The value of a path.
    public func value(_ path: String) -> Tensor? { outputs[path] }
}

/// Runs a RETURNN network dict the way RETURNN does, in pure Swift: every rec unit either stepped frame by
/// frame or with the loop plan applied, masked_computation in all its contexts and unmask in all its branches
/// (see ../shared/returnn-semantics.md §1-§3, §7). Dims come from the dims engine (`DimAnalysis`).
public struct Evaluator: Sendable {
    /// The network.
    public let graph: NetworkGraph

    /// An evaluator for a network.
    public init(graph: NetworkGraph) {
        self.graph = graph
    }

    /// The layer classes the evaluator computes.
    public static var supportedClasses: [String] { Kernels.supported.sorted() }

    /// Evaluates the network on `inputs` with `parameters` in one loop mode.
    ///
    /// Construction errors (RETURNN refuses the network) are thrown; unsupported layers (with stand-ins when
    /// allowed) and layers that fail at run time are listed in the result, and whatever needs them is left out.
    public func evaluate(
        inputs: EvaluationInputs, parameters: ParameterStore, mode: LoopMode, options: EvaluationOptions = EvaluationOptions()
    ) throws(EvaluationError) -> EvaluationResult {
        try evaluate(prepared: PreparedEvaluation(graph: graph, mode: mode), inputs: inputs, parameters: parameters, options: options)
    }

    /// Evaluates a prepared network (see `PreparedEvaluation`): for many evaluations of one network in one mode,
    /// such as the trials of a fix verification, the loop plans and templates are computed once.
    public func evaluate(
        prepared: PreparedEvaluation, inputs: EvaluationInputs, parameters: ParameterStore, options: EvaluationOptions = EvaluationOptions()
    ) throws(EvaluationError) -> EvaluationResult {
        let run = EvaluationRun(prepared: prepared, inputs: inputs, parameters: parameters, options: options)
        return try run.run()
    }

    /// The loop plans of a mode (as the evaluator applies them).
    public func plans(mode: LoopMode) -> [LayerID: LoopPlan] {
        EvaluationRun.makePlans(graph: graph, mode: mode)
    }
}

/// The part of an evaluation that does not depend on the inputs: the loop plans of one mode, every layer's
/// template and path. Computing it is most of the cost of evaluating a network on small inputs, so repeated
/// evaluations (verification trials) share one. Not `Sendable`: its template engine memoizes as it is used.
public final class PreparedEvaluation {
    let graph: NetworkGraph
    let mode: LoopMode
    let plans: [LayerID: LoopPlan]
    let engine: TemplateEngine
    let paths: [LayerID: String]
    /// Per masked_computation, the layers of its subnetwork unit that are read from outside as `masked/x`.
    let maskedSubLayers: [LayerID: [LayerID]]

    /// Plans the loops of `graph` for `mode` and infers every template.
    public init(graph: NetworkGraph, mode: LoopMode) {
        self.graph = graph
        self.mode = mode
        plans = EvaluationRun.makePlans(graph: graph, mode: mode)
        engine = TemplateEngine(graph: graph, plans: plans)
        EvaluationRun.inferTemplates(graph: graph, plans: plans, engine: engine)
        paths = EvaluationRun.makePaths(graph: graph, plans: plans)
        var subLayers: [LayerID: [LayerID]] = [:]
        for node in graph.layers {
            for (_, target) in graph.references(of: node.id) {
                if case .subLayer(let root, _, let inner?) = target, graph[root].className == "masked_computation",
                    !subLayers[root, default: []].contains(inner)
                {
                    subLayers[root, default: []].append(inner)
                }
            }
        }
        maskedSubLayers = subLayers
    }
}
