import NetConfig

/// A conformance golden file (`../shared/conformance/cases/*.golden.json`, format `oracle-inspect-2`): what
/// real RETURNN computed for a case, with its parameters and inputs.
public struct GoldenFile: Sendable {
    /// One evaluated layer of a mode.
    public struct Output: Sendable {
        /// The layer path.
        public var path: String
        /// The shape of `values` (batch first, feature last).
        public var shape: [Int]
        /// The dtype.
        public var dtype: String
        /// The values, row-major (nil when the golden has none).
        public var values: [Float]?
        /// Per dynamic axis: the axis, its lengths, and whether they are per batch entry.
        public var dynamic: [(axis: Int, lengths: [Int], perBatch: Bool)]
        /// The dim names of the axes.
        public var dimNames: [String]
        /// True when axis 0 is the batch axis.
        public var batchFirst: Bool
        /// The run-time error RETURNN raised for this layer, if any.
        public var error: String?
    }

    /// One loop mode.
    public struct Mode: Sendable {
        /// RETURNN's construction error, if the mode failed.
        public var error: String?
        /// The evaluated outputs in file order.
        public var outputs: [Output]
        /// An evaluation error of the whole mode, if any.
        public var evalError: String?
    }

    /// One input key.
    public struct Input: Sendable {
        /// The shape of the fed value.
        public var shape: [Int]
        /// The values, row-major.
        public var values: [Float]
        /// The dim names per axis.
        public var dimNames: [String]
        /// Lengths per dynamic axis.
        public var lengths: [Int: [Int]]
        /// `fed_axis_order`.
        public var fedAxisOrder: [Int]
    }

    /// The case file name.
    public var file: String
    /// Padding of the inputs (`zero` or `random`).
    public var padding: String
    /// The batch size.
    public var batch: Int
    /// All parameters by name.
    public var parameters: [String: Parameter]
    /// The inputs by data key.
    public var inputs: [String: Input]
    /// The modes (`opt`, `noopt`).
    public var modes: [String: Mode]

    /// Parses a golden file's JSON (read by the caller: the analyzer does no file I/O).
    public static func parse(_ bytes: [UInt8], name: String = "golden") throws(EvaluationError) -> GoldenFile {
        let root: ConfigNode
        do {
            var limits = ParseLimits.default
            limits.maxFileBytes = Int.max
            root = try ConfigParser.parse(SourceText(path: name, bytes: bytes), format: .json, limits: limits).root
        } catch {
            throw .invalidInput("\(name): not JSON (\(error.message))")
        }
        guard root.entries != nil else { throw .invalidInput("\(name): not a JSON object") }
        guard root["format"]?.stringValue?.hasPrefix("oracle-inspect") == true else { throw .invalidInput("\(name): not an oracle-inspect golden file") }
        var golden = GoldenFile(
            file: root["file"]?.stringValue ?? name, padding: root["pad"]?.stringValue ?? "zero", batch: int(root["batch"]) ?? 0,
            parameters: [:], inputs: [:], modes: [:])
        for entry in root["params"]?.entries ?? [] {
            let key = entry.key.stringValue ?? ""
            guard entry.value.entries != nil, let shape = ints(entry.value["shape"]) else { throw .invalidInput("\(name): parameter '\(key)' malformed") }
            var flat: [Float] = []
            try flatten(entry.value["value"], into: &flat, name: name)
            golden.parameters[key] = Parameter(shape: shape, values: flat)
        }
        for entry in root["inputs"]?.entries ?? [] {
            let key = entry.key.stringValue ?? ""
            let input = entry.value
            guard input.entries != nil, let shape = ints(input["shape"]) else { throw .invalidInput("\(name): input '\(key)' malformed") }
            var flat: [Float] = []
            try flatten(input["value"], into: &flat, name: name)
            var lengths: [Int: [Int]] = [:]
            for lens in input["lens"]?.entries ?? [] {
                if let a = lens.key.stringValue.flatMap({ Int($0) }), let l = ints(lens.value) { lengths[a] = l }
            }
            let dims = (input["dims"]?.elements ?? []).map { $0["name"]?.stringValue ?? "" }
            golden.inputs[key] = Input(
                shape: shape, values: flat, dimNames: dims, lengths: lengths, fedAxisOrder: ints(input["fed_axis_order"]) ?? Array(0..<shape.count))
        }
        for modeEntry in root["modes"]?.entries ?? [] {
            let entry = modeEntry.value
            guard entry.entries != nil, let modeName = modeEntry.key.stringValue else { continue }
            var mode = Mode(error: entry["error"]?.stringValue, outputs: [], evalError: entry["eval_error"]?.stringValue)
            for outputEntry in entry["outputs"]?.entries ?? [] {
                let o = outputEntry.value
                guard o.entries != nil, let path = outputEntry.key.stringValue else { continue }
                var values: [Float]?
                if let value = o["value"], !value.isNull {
                    var flat: [Float] = []
                    try flatten(value, into: &flat, name: name)
                    values = flat
                }
                var dynamic: [(Int, [Int], Bool)] = []
                for d in o["dynamic"]?.elements ?? [] {
                    guard let axis = int(d["axis"]), let lens = ints(d["lens"]) else { continue }
                    let lensDims = d["lens_dims"]?.elements?.compactMap(\.stringValue) ?? ["B"]
                    dynamic.append((axis, lens, lensDims == ["B"]))
                }
                let layoutDims = o["layout"]?["dims"]?.elements ?? []
                mode.outputs.append(
                    Output(
                        path: path, shape: ints(o["shape"]) ?? [], dtype: o["dtype"]?.stringValue ?? "float32", values: values, dynamic: dynamic,
                        dimNames: layoutDims.map { $0["name"]?.stringValue ?? "" }, batchFirst: layoutDims.first?["kind"]?.stringValue == "batch",
                        error: o["error"]?.stringValue))
            }
            mode.outputs.sort { $0.path < $1.path }
            golden.modes[modeName] = mode
        }
        return golden
    }

    /// An integer (JSON numbers with an integral value count).
    private static func int(_ node: ConfigNode?) -> Int? {
        guard let node else { return nil }
        if let i = node.intValue { return i }
        if let d = node.numberValue, let i = Int(exactly: d) { return i }
        return nil
    }

    private static func ints(_ node: ConfigNode?) -> [Int]? {
        guard let elements = node?.elements else { return nil }
        var result: [Int] = []
        for item in elements {
            guard let n = int(item) else { return nil }
            result.append(n)
        }
        return result
    }

    private static func flatten(_ node: ConfigNode?, into out: inout [Float], name: String) throws(EvaluationError) {
        guard let node else { return }
        switch node.value {
        case .sequence(let items):
            for item in items { try flatten(item, into: &out, name: name) }
        case .int(let i):
            out.append(Float(i))
        case .float(let d):
            out.append(Float(d))
        case .bool(let b):
            out.append(b ? 1 : 0)
        case .string(let text):
            switch text {
            case "nan": out.append(.nan)
            case "inf": out.append(.infinity)
            case "-inf": out.append(-.infinity)
            default: throw .invalidInput("\(name): unexpected string '\(text)' in a value")
            }
        case .null:
            break
        case .mapping:
            throw .invalidInput("\(name): unexpected mapping in a value")
        }
    }

    /// The parameters as a store (a missing parameter is an error).
    public var parameterStore: ParameterStore { ParameterStore(given: parameters) }

    /// The golden's inputs as evaluator inputs, laid out as the network's extern_data templates.
    public func evaluationInputs(for graph: NetworkGraph) throws(EvaluationError) -> EvaluationInputs {
        let engine = TemplateEngine(graph: graph, plans: [:])
        var data: [String: Tensor] = [:]
        for (key, input) in inputs {
            guard let template = engine.externTemplate(key: key)?.template else {
                throw .invalidInput("extern data '\(key)' of the golden file has no known dims in the network")
            }
            guard input.fedAxisOrder == Array(0..<input.shape.count) else {
                throw .invalidInput("extern data '\(key)' was fed in another axis order (\(input.fedAxisOrder))")
            }
            guard template.dims.count == input.shape.count else {
                throw .invalidInput("extern data '\(key)': the golden value has \(input.shape.count) axes, the network's template \(template)")
            }
            var lengths: [String: [Int]] = [:]
            for (axis, dim) in template.dims.enumerated() {
                if let size = dim.size, size != input.shape[axis] {
                    throw .invalidInput("extern data '\(key)': axis \(axis) has extent \(input.shape[axis]), '\(dim.name)' has size \(size)")
                }
                if dim.isDynamic, dim.kind != .batch {
                    lengths[dim.name] = input.lengths[axis] ?? Array(repeating: input.shape[axis], count: input.shape.first ?? 0)
                }
            }
            data[key] = Tensor(template: template, shape: input.shape, lengths: lengths, values: input.values)
        }
        return EvaluationInputs(batch: batch, data: data)
    }
}

/// How an evaluated output compares with a golden one on valid frames.
public struct OutputComparison: Sendable {
    /// The layer path.
    public var path: String
    /// The largest absolute difference on valid frames.
    public var maxAbsDifference: Double
    /// True when every valid value is within `atol + rtol·|golden|`.
    public var matches: Bool
    /// The number of valid values compared.
    public var validCount: Int
    /// Why the values could not be compared, if so (shape mismatch, …).
    public var problem: String?

    /// Compares `tensor` with the golden output on valid frames (numpy `allclose` with atol/rtol).
    public static func compare(_ tensor: Tensor, golden: GoldenFile.Output, atol: Double = 1e-5, rtol: Double = 1e-4) -> OutputComparison {
        var result = OutputComparison(path: golden.path, maxAbsDifference: 0, matches: false, validCount: 0, problem: nil)
        guard let expected = golden.values else {
            result.problem = "the golden output has no values"
            return result
        }
        var mine = tensor.batchSpatialMajor()
        // Bring the axes into the golden's order by dim name when every name matches.
        if golden.dimNames.count == mine.dims.count {
            var perm: [Int] = []
            var used = Set<Int>()
            for name in golden.dimNames {
                if let axis = mine.dims.indices.first(where: { !used.contains($0) && mine.dims[$0].name == name }) {
                    perm.append(axis)
                    used.insert(axis)
                }
            }
            if perm.count == mine.dims.count { mine = mine.permuted(perm) }
        }
        guard mine.shape.count == golden.shape.count else {
            result.problem = "rank \(mine.shape.count) (\(mine.template)) but the golden has shape \(golden.shape)"
            return result
        }
        let rank = golden.shape.count
        let mineStrides = mine.strides
        guard let count = CheckedInt.product(golden.shape), count == expected.count else {
            result.problem = "golden shape \(golden.shape) does not match its \(expected.count) values"
            return result
        }
        var index = [Int](repeating: 0, count: rank)
        var matches = true
        for i in 0..<count {
            var valid = true
            for d in golden.dynamic where d.axis < rank {
                let limit: Int
                if d.perBatch, golden.batchFirst, rank > 0, d.axis != 0 {
                    limit = d.lengths.indices.contains(index[0]) ? d.lengths[index[0]] : 0
                } else {
                    limit = d.lengths.max() ?? 0
                }
                if index[d.axis] >= limit { valid = false }
            }
            if valid {
                var offset = 0
                var inside = true
                for a in 0..<rank {
                    if index[a] >= mine.shape[a] { inside = false }
                    offset += index[a] * mineStrides[a]
                }
                if !inside {
                    result.problem = "valid frame \(index) is outside the evaluated shape \(mine.shape)"
                    return result
                }
                let a = Double(mine.values[offset]), b = Double(expected[i])
                result.validCount += 1
                if a.isNaN || b.isNaN {
                    if !(a.isNaN && b.isNaN) { matches = false }
                } else if a != b {
                    let diff = abs(a - b)
                    result.maxAbsDifference = max(result.maxAbsDifference, diff.isNaN ? .infinity : diff)
                    if !(diff <= atol + rtol * abs(b)) { matches = false }
                }
            }
            var a = rank - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < golden.shape[a] { break }
                index[a] = 0
                a -= 1
            }
        }
        result.matches = matches
        return result
    }
}

/// The comparison of one evaluated loop mode with the golden file's mode.
public struct GoldenModeComparison: Sendable {
    /// The verdict on one output (or on the mode as a whole, with an empty path).
    public enum Status: String, Sendable {
        /// Within tolerance (or failing as RETURNN fails).
        case matched = "ok"
        /// Differs, or evaluated where RETURNN fails, or not evaluated.
        case mismatched = "FAIL"
        /// Not compared (RETURNN's own run-time error, or one of RETURNN's internal helper layers).
        case skipped = "skip"
    }

    /// One line of the comparison.
    public struct Entry: Sendable {
        /// The layer path (empty for the mode as a whole).
        public var path: String
        /// The verdict.
        public var status: Status
        /// What was found.
        public var detail: String

        /// Creates a line.
        public init(path: String, status: Status, detail: String) {
            self.path = path
            self.status = status
            self.detail = detail
        }
    }

    /// The lines, in the golden file's output order.
    public var entries: [Entry] = []

    /// A comparison with the given lines.
    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// True when nothing mismatched.
    public var matches: Bool { !entries.contains { $0.status == .mismatched } }

    /// Paths of RETURNN's internal helper layers (`data:source`, `prev:x`, `data` in moved-out nets).
    public static func isHelperPath(_ path: String) -> Bool {
        guard let last = path.split(separator: "/").last else { return false }
        return last == "data" || last.hasPrefix("data:") || last.hasPrefix("prev:")
    }

    /// Compares an evaluation (or its error) with a golden mode: an error where RETURNN errors matches; every
    /// golden output must be evaluated and within tolerance on valid frames (outputs RETURNN itself failed
    /// to compute are skipped).
    public static func compare(
        _ result: Result<EvaluationResult, EvaluationError>, golden: GoldenFile.Mode, atol: Double = 1e-5, rtol: Double = 1e-4
    ) -> GoldenModeComparison {
        var comparison = GoldenModeComparison()
        switch (result, golden.error) {
        case (.failure(let error), let expected?):
            comparison.entries.append(Entry(path: error.layer ?? "", status: .matched, detail: "fails as RETURNN does: \(error) (RETURNN: \(expected))"))
        case (.success, let expected?):
            comparison.entries.append(Entry(path: "", status: .mismatched, detail: "evaluated, but RETURNN refuses the network: \(expected)"))
        case (.failure(let error), nil):
            comparison.entries.append(Entry(path: error.layer ?? "", status: .mismatched, detail: "\(error)"))
        case (.success(let evaluated), nil):
            for output in golden.outputs {
                if let error = output.error {
                    comparison.entries.append(Entry(path: output.path, status: .skipped, detail: "RETURNN failed at run time: \(error)"))
                    continue
                }
                guard let tensor = evaluated.value(output.path) else {
                    if isHelperPath(output.path) {
                        comparison.entries.append(Entry(path: output.path, status: .skipped, detail: "RETURNN-internal helper layer"))
                        continue
                    }
                    var detail = "not evaluated"
                    let known = evaluated.unsupported + evaluated.failed + evaluated.blocked
                    if let reason = known.first(where: { output.path == $0.path || output.path.hasPrefix($0.path + "/") }) {
                        detail += ": \(reason.reason)"
                    }
                    comparison.entries.append(Entry(path: output.path, status: .mismatched, detail: detail))
                    continue
                }
                let c = OutputComparison.compare(tensor, golden: output, atol: atol, rtol: rtol)
                if let problem = c.problem {
                    comparison.entries.append(Entry(path: output.path, status: .mismatched, detail: problem))
                } else {
                    comparison.entries.append(
                        Entry(
                            path: output.path, status: c.matches ? .matched : .mismatched,
                            detail: "max |diff| \(c.maxAbsDifference.formatted(significantDigits: 3)) over \(c.validCount) valid values"))
                }
            }
        }
        return comparison
    }
}
