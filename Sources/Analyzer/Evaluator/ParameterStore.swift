import Synchronization

/// Drawn random values shared by many evaluations (parameters across the trials of a fix verification, stand-ins
/// across the original and the rewrite): drawing the weights of a 1024-unit LSTM for every evaluation was a
/// quarter of the verification time. Keys name everything a value depends on.
public final class DrawnValueCache: Sendable {
    private let storage = Mutex<[String: [Float]]>([:])

    /// An empty cache.
    public init() {}

    func values(for key: String) -> [Float]? { storage.withLock { $0[key] } }

    func store(_ values: [Float], for key: String) { storage.withLock { $0[key] = values } }
}

/// One parameter (TF variable): its shape and row-major values.
public struct Parameter: Sendable, Hashable {
    /// The shape, e.g. `[n_in, n_out]` for a linear layer's `W`.
    public var shape: [Int]
    /// The values, row-major.
    public var values: [Float]

    /// Creates a parameter.
    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }
}

/// What a parameter is used for; decides the scale of a randomly drawn value.
public enum ParameterRole: Sendable, Hashable {
    /// A weight matrix or filter with the given fan-in and fan-out (glorot-uniform scale).
    case weight(fanIn: Int, fanOut: Int)
    /// A bias vector (random too, so that bias bugs are visible).
    case bias
}

/// Parameters by RETURNN's variable names (`lin/W`, `output/rec/x/b`, `lstm/rec/W_re`, `conv/W`, …): given
/// (e.g. from a golden file) or drawn from a seeded generator. A drawn value depends only on the seed, the
/// name and the shape, so one name always gives the same values (an original and a rewritten network that
/// name a layer alike share its weights).
public struct ParameterStore: Sendable {
    /// The given parameters by name.
    public private(set) var given: [String: Parameter]
    /// The seed for parameters that are not given; nil: a missing parameter is an error.
    public var seed: UInt64?
    /// Where drawn parameters are kept across evaluations (nil: drawn again by every evaluation).
    public var cache: DrawnValueCache?

    /// A store that draws every parameter from a seeded generator (RETURNN-like glorot-uniform scales).
    public static func random(seed: UInt64) -> ParameterStore {
        ParameterStore(given: [:], seed: seed)
    }

    /// A store of given parameters; `fallbackSeed` draws the ones that are missing (nil: missing is an error).
    public init(given: [String: Parameter], seed fallbackSeed: UInt64? = nil) {
        self.given = given
        self.seed = fallbackSeed
    }

    /// Sets (or replaces) a parameter.
    public mutating func set(_ name: String, _ parameter: Parameter) {
        given[name] = parameter
    }

    /// The values of a parameter of the given shape.
    public func values(for name: String, shape: [Int], role: ParameterRole) throws(EvaluationError) -> [Float] {
        if let parameter = given[name] {
            guard parameter.shape == shape else {
                throw .invalidInput("parameter '\(name)' has shape \(parameter.shape), the network needs \(shape)")
            }
            return parameter.values
        }
        guard let seed else {
            throw .invalidInput("parameter '\(name)' (shape \(shape)) is not given")
        }
        guard let cache else { return ParameterStore.draw(name: name, shape: shape, role: role, seed: seed) }
        let key = "\(name)\u{0}\(shape)\u{0}\(role)"
        if let known = cache.values(for: key) { return known }
        let drawn = ParameterStore.draw(name: name, shape: shape, role: role, seed: seed)
        cache.store(drawn, for: key)
        return drawn
    }

    /// A random parameter: glorot-uniform for weights, uniform in [-0.5, 0.5) for biases.
    static func draw(name: String, shape: [Int], role: ParameterRole, seed: UInt64) -> [Float] {
        var random = RandomSource(seed: seed, name: "\(name)\u{0}\(shape)")
        let count = shape.reduce(1, *)
        let limit: Double
        switch role {
        case .weight(let fanIn, let fanOut): limit = (6.0 / Double(max(1, fanIn + fanOut))).squareRoot()
        case .bias: limit = 0.5
        }
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count { values[i] = Float(random.uniform(-limit, limit)) }
        return values
    }
}
