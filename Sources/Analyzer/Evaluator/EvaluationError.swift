/// Why an evaluation (or part of it) failed; every case names the layer path it is about.
public enum EvaluationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The evaluator cannot compute this layer (a class, option, `eval` string or `$callable` it does not model).
    case unsupported(layer: String, reason: String)
    /// RETURNN refuses to build the network at this layer (the message says why).
    case construction(layer: String, message: String)
    /// RETURNN builds the network but crashes when this layer runs (e.g. a top-level unmask of a masked_computation).
    case runtime(layer: String, message: String)
    /// The inputs, parameters or golden file do not fit the network.
    case invalidInput(String)
    /// The evaluator's own bookkeeping disagrees with the dims engine (a bug in the evaluator or the engine).
    case inconsistency(layer: String, message: String)

    /// The layer path the error is about, if any.
    public var layer: String? {
        switch self {
        case .unsupported(let layer, _), .construction(let layer, _), .runtime(let layer, _), .inconsistency(let layer, _):
            return layer
        case .invalidInput:
            return nil
        }
    }

    /// A one-line description.
    public var description: String {
        switch self {
        case .unsupported(let layer, let reason): return "layer '\(layer)': cannot evaluate: \(reason)"
        case .construction(let layer, let message): return "layer '\(layer)': RETURNN cannot build it: \(message)"
        case .runtime(let layer, let message): return "layer '\(layer)': RETURNN fails at run time: \(message)"
        case .invalidInput(let message): return "invalid input: \(message)"
        case .inconsistency(let layer, let message): return "layer '\(layer)': internal inconsistency: \(message)"
        }
    }
}

/// Bounds on what the evaluator allocates, so that a config with absurd sizes fails cleanly instead of
/// exhausting memory or overflowing an element count.
public enum EvaluationLimits {
    /// The most elements one tensor or parameter may have (16M floats, 64 MB).
    public static let maxElements = 1 << 24

    /// The number of elements of `shape`, or the unsupported error naming `what` when it exceeds `maxElements`.
    static func elementCount(_ shape: [Int], what: String, layer: String) throws(EvaluationError) -> Int {
        guard shape.allSatisfy({ $0 >= 0 }), let count = CheckedInt.product(shape), count <= maxElements else {
            throw .unsupported(layer: layer, reason: "\(what) of shape \(shape) exceeds the evaluator's budget of \(maxElements) elements")
        }
        return count
    }
}
