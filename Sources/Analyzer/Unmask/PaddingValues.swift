import NetConfig

/// What a layer holds on padded frames (t >= length), when RETURNN's data pipeline pads inputs with zeros.
///
/// A small abstract interpretation: extern data is 0 on padding; pass-through layers keep it; `compare`,
/// logical `combine`/`eval` compute it; anything else is unknown. Used to prove that a mask can be true on
/// padded frames, which makes UnmaskLayer gather out of range (semantics §2.4).
enum PaddingValue: Hashable, Sendable {
    case number(Double)
    case boolean(Bool)
    case unknown

    /// True only when the value is provably true.
    var isTrue: Bool {
        switch self {
        case .boolean(let b): return b
        case .number(let n): return n != 0
        case .unknown: return false
        }
    }
}

/// Computes padding values over the graph (memoised, cycle-safe).
struct PaddingAnalysis {
    let graph: NetworkGraph
    private var memo: [LayerID: PaddingValue] = [:]
    private var visiting = Set<LayerID>()

    init(graph: NetworkGraph) {
        self.graph = graph
    }

    /// The padding value of what a reference points at (`prev:x` has x's padding value on the frames after the
    /// first padded one).
    mutating func value(of target: ResolvedRef) -> PaddingValue {
        switch target {
        case .externData: return .number(0)
        case .recInput(let rec):
            guard let source = graph.sources(of: rec).first else { return .unknown }
            return value(of: source.target)
        case .layer(let id), .previous(let id): return value(ofLayer: id)
        default: return .unknown
        }
    }

    mutating func value(ofLayer id: LayerID) -> PaddingValue {
        if let known = memo[id] { return known }
        guard visiting.insert(id).inserted else { return .unknown }
        let result = compute(id)
        visiting.remove(id)
        memo[id] = result
        return result
    }

    private mutating func compute(_ id: LayerID) -> PaddingValue {
        let node = graph[id]
        let layer = node.layer
        let inputs = graph.sources(of: id).map { value(of: $0.target) }
        switch node.className {
        case "copy", "dropout", "identity", "scaled_grad", "reinterpret_data", "print":
            return inputs.count == 1 ? inputs[0] : .unknown
        case "cast":
            guard inputs.count == 1 else { return .unknown }
            if layer.option("dtype")?.stringValue == "bool" { return inputs[0] == .unknown ? .unknown : .boolean(inputs[0].isTrue) }
            return inputs[0]
        case "constant":
            if let b = layer.option("value")?.boolValue { return .boolean(b) }
            if let n = layer.option("value")?.numberValue { return .number(n) }
            return .unknown
        case "choice":
            // Without search a choice layer is its target: zero-padded data.
            return ShapeRules.choiceUsesTarget(layer) ? .number(0) : .unknown
        case "compare":
            var operands = inputs
            if let v = layer.option("value") {
                if let b = v.boolValue { operands.append(.boolean(b)) } else if let n = v.numberValue { operands.append(.number(n)) } else { return .unknown }
            }
            return Self.compare(operands, kind: layer.option("kind")?.stringValue ?? "equal")
        case "combine":
            return Self.logical(inputs, kind: layer.option("kind")?.stringValue ?? "")
        case "reduce":
            // A reduce over the feature axis keeps the frames: a constant frame stays constant (sum of zeros is
            // zero). Over any other axis (time included) the padding is gone or mixed in: unknown.
            guard inputs.count == 1, Self.reducesOnlyFeature(layer), case .number(let n) = inputs[0] else { return .unknown }
            switch layer.option("mode")?.stringValue ?? "" {
            case "max", "min", "mean", "avg": return .number(n)
            case "sum": return n == 0 ? .number(0) : .unknown
            default: return .unknown
            }
        case "eval":
            guard let text = layer.option("eval")?.stringValue.map({ String($0.filter { $0 != " " }) }) else { return .unknown }
            switch text {
            case "tf.logical_and(source(0),source(1))": return Self.logical(inputs, kind: "logical_and")
            case "tf.logical_or(source(0),source(1))": return Self.logical(inputs, kind: "logical_or")
            case "tf.logical_not(source(0))":
                guard inputs.count == 1, inputs[0] != .unknown else { return .unknown }
                return .boolean(!inputs[0].isTrue)
            case "source(0)": return inputs.first ?? .unknown
            default: return .unknown
            }
        default:
            return .unknown
        }
    }

    /// True when a reduce layer's `axis`/`axes` names only the feature axis.
    static func reducesOnlyFeature(_ layer: Layer) -> Bool {
        guard let spec = layer.option("axes") ?? layer.option("axis") else { return false }
        let names = spec.elements.map { $0.compactMap(\.stringValue) } ?? spec.stringValue.map { [$0] } ?? []
        let count = spec.elements?.count ?? 1
        return !names.isEmpty && names.count == count && names.allSatisfy { ["f", "feature"].contains($0.lowercased()) }
    }

    static func number(_ v: PaddingValue) -> Double? {
        switch v {
        case .number(let n): return n
        case .boolean(let b): return b ? 1 : 0
        case .unknown: return nil
        }
    }

    static func compare(_ operands: [PaddingValue], kind: String) -> PaddingValue {
        guard operands.count >= 2 else { return .unknown }
        var result = true
        for (a, b) in zip(operands, operands.dropFirst()) {
            guard let x = number(a), let y = number(b) else { return .unknown }
            let holds: Bool
            switch kind {
            case "equal", "==": holds = x == y
            case "not_equal", "!=": holds = x != y
            case "less", "<": holds = x < y
            case "less_equal", "<=": holds = x <= y
            case "greater", ">": holds = x > y
            case "greater_equal", ">=": holds = x >= y
            default: return .unknown
            }
            result = result && holds
        }
        return .boolean(result)
    }

    static func logical(_ inputs: [PaddingValue], kind: String) -> PaddingValue {
        switch kind {
        case "logical_and":
            if inputs.contains(where: { $0 != .unknown && !$0.isTrue }) { return .boolean(false) }
            return inputs.allSatisfy({ $0.isTrue }) && !inputs.isEmpty ? .boolean(true) : .unknown
        case "logical_or":
            if inputs.contains(where: { $0.isTrue }) { return .boolean(true) }
            return inputs.allSatisfy({ $0 != .unknown }) && !inputs.isEmpty ? .boolean(false) : .unknown
        default:
            return .unknown
        }
    }
}
