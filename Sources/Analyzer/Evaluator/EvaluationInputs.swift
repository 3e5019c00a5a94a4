/// What padding frames (beyond a sequence's length) of generated inputs hold.
public enum InputPadding: String, Sendable, Hashable, CaseIterable {
    /// Zeros (class 0 for sparse data), as RETURNN's data pipeline pads.
    case zero
    /// Random values, to check that padding never leaks into valid frames.
    case random
}

/// The extern data fed to a network: one tensor per data key, with per-sequence lengths.
public struct EvaluationInputs: Sendable {
    /// The batch size.
    public var batch: Int
    /// The tensors by data key (`data`, `classes`, …), laid out as the key's extern_data template.
    public var data: [String: Tensor]

    /// Creates inputs.
    public init(batch: Int, data: [String: Tensor]) {
        self.batch = batch
        self.data = data
    }

    /// Random inputs for every extern data key of `graph` whose dims are known: `batch` (at least 3)
    /// sequences of unequal lengths in [1, maxLength] (one of them exactly `maxLength`; keys sharing a dim share
    /// its lengths), dense values N(0,1), sparse values uniform in [0, dim), and zero or random padding.
    public static func random(
        for graph: NetworkGraph, seed: UInt64, batch: Int = 3, maxLength: Int = 6, padding: InputPadding = .zero
    ) throws(EvaluationError) -> EvaluationInputs {
        guard batch >= 3 else { throw .invalidInput("random inputs need a batch of at least 3, got \(batch)") }
        guard maxLength >= 2 else { throw .invalidInput("random inputs need a maximum length of at least 2, got \(maxLength)") }
        let engine = TemplateEngine(graph: graph, plans: [:])
        var random = RandomSource(seed: seed, name: "inputs")
        var lengthsByDim: [String: [Int]] = [:]
        var data: [String: Tensor] = [:]
        for entry in graph.config.externData.entries where data[entry.key] == nil {
            guard let template = engine.externTemplate(key: entry.key)?.template else { continue }
            let (shape, lengths) = try Tensor.layout(of: template, batch: batch) { dim in
                let l = lengthsByDim[dim.name] ?? randomLengths(batch: batch, maxLength: maxLength, random: &random)
                lengthsByDim[dim.name] = l
                return l
            }
            var tensor = Tensor(template: template, shape: shape, lengths: lengths, values: [Float](repeating: 0, count: try EvaluationLimits.elementCount(shape, what: "extern data '\(entry.key)'", layer: "data:\(entry.key)")))
            let valid = tensor.validMask()
            let classes = template.sparseDim?.size
            for i in tensor.values.indices {
                if !valid[i] && padding == .zero { continue }
                if let classes {
                    tensor.values[i] = Float(random.integer(below: classes))
                } else if template.dtype == "bool" {
                    tensor.values[i] = random.integer(below: 2) == 1 ? 1 : 0
                } else if tensor.isInteger {
                    tensor.values[i] = Float(random.integer(below: 10))
                } else {
                    var v = random.normal()
                    if !valid[i], v == 0 { v = 1 }
                    tensor.values[i] = Float(v)
                }
            }
            data[entry.key] = tensor
        }
        return EvaluationInputs(batch: batch, data: data)
    }

    /// Lengths in [1, maxLength], not all equal, one of them `maxLength`.
    static func randomLengths(batch: Int, maxLength: Int, random: inout RandomSource) -> [Int] {
        var lengths = (0..<batch).map { _ in 1 + random.integer(below: maxLength) }
        lengths[random.integer(below: batch)] = maxLength
        if Set(lengths).count == 1 {
            var other = 0
            if let first = lengths.firstIndex(of: maxLength) { other = (first + 1) % batch }
            lengths[other] = max(1, maxLength - 1)
        }
        return lengths
    }
}

extension Tensor {
    /// A boolean `[B,T]` mask over `time` with the patterns a rewrite check needs: sequence 0 all false,
    /// sequence 1 all true, sequence 2 false at t=0 and random after, the rest random; padding frames are false.
    public static func maskPattern(time: Dim, lengths: [Int], seed: UInt64) throws(EvaluationError) -> Tensor {
        let batch = lengths.count
        let maxLength = lengths.max() ?? 0
        var random = RandomSource(seed: seed, name: "mask:\(time.name)")
        var values = [Float](repeating: 0, count: batch * maxLength)
        for b in 0..<batch {
            for t in 0..<lengths[b] {
                let on: Bool
                switch b {
                case 0: on = false
                case 1: on = true
                case 2: on = t > 0 && random.integer(below: 2) == 1
                default: on = random.integer(below: 2) == 1
                }
                values[b * maxLength + t] = on ? 1 : 0
            }
        }
        return try Tensor(dims: [.batch, time], shape: [batch, maxLength], values: values, dtype: "bool", lengths: [time.name: lengths])
    }
}
