import Analyzer
import ArgumentParser
import NetConfig

/// Loop modes of `eval`.
enum EvalMode: String, CaseIterable, ExpressibleByArgument, Sendable {
    case opt, noopt

    var loopMode: LoopMode { self == .opt ? .optimized : .unoptimized }
}

/// Padding choices of `eval` on random inputs.
enum EvalPadding: String, CaseIterable, ExpressibleByArgument, Sendable {
    case zero, random
}

/// `returnn-lint eval FILE`: run the network with the embedded reference evaluator, on a golden file's inputs
/// and parameters (comparing with RETURNN's values) or on random inputs.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a network with the reference evaluator; with --golden, compare with real RETURNN's values.",
        discussion: """
            With --golden G.json: runs on the golden file's inputs and parameters and prints, per output, the largest \
            absolute difference on valid frames; exit 0 when all are within 1e-5 (abs) / 1e-4 (rel), else 1. \
            Without: runs on random inputs and prints each output's dims (exit 1 only when no mode can be evaluated). \
            Unreadable input exits with 2.
            """)

    @Argument(help: "A config file (.json, .yaml, .yml).")
    var file: String

    @Option(name: .customLong("golden"), help: "A golden file (conformance format) whose inputs and parameters to use and whose values to compare with.")
    var golden: String?

    @Option(name: .customLong("mode"), help: "Loop mode: opt (loop plan applied) or noopt (everything in the loop). Default: both.")
    var mode: EvalMode?

    @Option(name: [.customLong("format"), .customLong("output-format")], help: "Output format (text or json).")
    var format: DimsFormat = .text

    @Option(name: .customLong("seed"), help: "Seed of random inputs and parameters.")
    var seed: UInt64 = 1

    @Option(name: .customLong("batch"), help: "Batch size of random inputs (at least 3).")
    var batch: Int = 3

    @Option(name: .customLong("max-len"), help: "Largest sequence length of random inputs.")
    var maxLen: Int = 6

    @Option(name: .customLong("padding"), help: "Padding of random inputs: zero or random.")
    var padding: EvalPadding = .zero

    @Flag(name: .customLong("stand-ins"), help: "Replace unsupported layers by random values with their inferred dims (reported).")
    var standIns = false

    @Flag(name: .customLong("all-layers"), help: "Evaluate every top-level layer, not only the ones RETURNN builds.")
    var allLayers = false

    @Flag(name: .customLong("loop-layers"), help: "Also report in-loop layers accumulated over their loop (rec/[loop]/x).")
    var loopLayers = false

    @OptionGroup var limitOptions: LimitOptions

    func validate() throws {
        if batch < 3 { throw ValidationError("--batch must be at least 3, got \(batch)") }
        if maxLen < 2 { throw ValidationError("--max-len must be at least 2, got \(maxLen)") }
    }

    func run() throws {
        let config = try loadConfig()
        let graph = NetworkGraph(config: config)
        let evaluator = Evaluator(graph: graph)
        let modes: [EvalMode] = mode.map { [$0] } ?? [.opt, .noopt]
        let options = EvaluationOptions(
            standIns: standIns ? .any : .none, standInSeed: seed, collectLoopLayers: loopLayers, allTopLevelLayers: allLayers)
        if let golden {
            let goldenFile: GoldenFile
            let inputs: EvaluationInputs
            do {
                guard let data = FileSystem.contents(of: golden) else { throw EvaluationError.invalidInput("cannot read golden file '\(golden)'") }
                goldenFile = try GoldenFile.parse(data, name: golden)
                inputs = try goldenFile.evaluationInputs(for: graph)
            } catch {
                fail("\(golden): error: \(error)")
            }
            var report = GoldenReport(file: file, golden: golden)
            for m in modes {
                let result = Result { () throws(EvaluationError) -> EvaluationResult in
                    try evaluator.evaluate(inputs: inputs, parameters: goldenFile.parameterStore, mode: m.loopMode, options: options)
                }
                if case .failure(.invalidInput(let message)) = result, goldenFile.modes[m.rawValue]?.error == nil {
                    fail("\(golden): error: the golden file does not fit \(file): \(message)")
                }
                report.add(mode: m, result: result, golden: goldenFile.modes[m.rawValue])
            }
            switch format {
            case .text: Console.out(report.text())
            case .json: Console.out((report.json().rendered() + "\n"))
            }
            throw ExitCode(report.allMatch ? 0 : 1)
        }
        let inputs: EvaluationInputs
        do {
            inputs = try EvaluationInputs.random(
                for: graph, seed: seed, batch: batch, maxLength: maxLen, padding: padding == .zero ? .zero : .random)
        } catch {
            fail("\(file): error: \(error)")
        }
        var modeResults: [(EvalMode, Result<EvaluationResult, EvaluationError>)] = []
        for m in modes {
            modeResults.append(
                (m, Result { () throws(EvaluationError) -> EvaluationResult in
                    try evaluator.evaluate(inputs: inputs, parameters: .random(seed: seed), mode: m.loopMode, options: options)
                }))
        }
        switch format {
        case .text: Console.out(EvalText.random(file: file, results: modeResults))
        case .json:
            let modesJSON = modeResults.map { ($0.0.rawValue, EvalJSON.mode($0.1)) }
            Console.out((JSONValue.object([("modes", .object(modesJSON))]).rendered() + "\n"))
        }
        // Exit 1 only when no requested mode could be evaluated at all.
        let anyEvaluated = modeResults.contains { if case .success = $0.1 { return true } else { return false } }
        throw ExitCode(anyEvaluated ? 0 : 1)
    }

    private func loadConfig() throws -> NetworkConfig {
        let input = InputFile(displayPath: file, readPath: file)
        do {
            let source = try InputDiscovery.read(input, maxBytes: limitOptions.limits.maxFileBytes)
            do {
                return try NetworkConfig.load(source, format: SourceFormat.forPath(file), limits: limitOptions.limits)
            } catch {
                let text = error.rendered(in: source)
                fail(text.split(separator: "\n").first.map(String.init) ?? text)
            }
        } catch let error as InputError {
            fail("\(error)")
        }
    }

    private func fail(_ message: String) -> Never {
        Console.err((message + "\n"))
        Console.exit(2)
    }
}

/// The comparison of evaluated modes with a golden file.
struct GoldenReport {
    var file: String
    var golden: String
    var sections: [(mode: EvalMode, comparison: GoldenModeComparison, result: Result<EvaluationResult, EvaluationError>)] = []
    var allMatch = true

    mutating func add(mode: EvalMode, result: Result<EvaluationResult, EvaluationError>, golden: GoldenFile.Mode?) {
        guard let golden else {
            var comparison = GoldenModeComparison()
            comparison.entries.append(.init(path: "", status: .mismatched, detail: "the golden file has no mode '\(mode.rawValue)'"))
            allMatch = false
            sections.append((mode, comparison, result))
            return
        }
        let comparison = GoldenModeComparison.compare(result, golden: golden)
        if !comparison.matches { allMatch = false }
        sections.append((mode, comparison, result))
    }

    func text() -> String {
        var out = "\(file) (golden \(golden))\n"
        for section in sections {
            out += "mode \(section.mode.rawValue):\n"
            let width = min(60, section.comparison.entries.map(\.path.count).max() ?? 0)
            for line in section.comparison.entries {
                let path = line.path.padded(to: max(width, line.path.count))
                out += "  \(line.status.rawValue.padded(to: 4))  \(path)  \(line.detail)\n"
            }
            if case .success(let result) = section.result {
                for s in result.standIns { out += "  stand-in  \(s.path): \(s.reason)\n" }
            }
        }
        out += allMatch ? "all outputs match\n" : "some outputs differ\n"
        return out
    }

    func json() -> JSONValue {
        .object([("modes", .object(sections.map { ($0.mode.rawValue, EvalJSON.mode($0.result)) })), ("all_match", .bool(allMatch))])
    }
}

/// Text rendering of `eval` on random inputs.
enum EvalText {
    static func short(_ value: Double) -> String {
        if value == 0 { return "0" }
        var text = String(value)
        if text.count > 10, let e = text.firstIndex(of: "e") {
            text = String(text[..<text.index(text.startIndex, offsetBy: min(6, text.distance(from: text.startIndex, to: e)))]) + String(text[e...])
        } else if text.count > 10 {
            text = String(text.prefix(10))
        }
        return text
    }

    static func random(file: String, results: [(EvalMode, Result<EvaluationResult, EvaluationError>)]) -> String {
        var out = "\(file) (random inputs)\n"
        for (mode, result) in results {
            out += "mode \(mode.rawValue):\n"
            switch result {
            case .failure(let error):
                out += "  error: \(error)\n"
            case .success(let r):
                let width = min(60, r.paths.map(\.count).max() ?? 0)
                for path in r.paths {
                    guard let t = r.outputs[path] else { continue }
                    let finite = t.values.allSatisfy { $0.isFinite }
                    out += "  \(path.padded(to: max(width, path.count)))  \(t.template)\(finite ? "" : "  (non-finite values)")\n"
                }
                for u in r.unsupported { out += "  unsupported  \(u.path): \(u.reason)\n" }
                for f in r.failed { out += "  fails at run time  \(f.path): \(f.reason)\n" }
                for b in r.blocked { out += "  not evaluated  \(b.path): \(b.reason)\n" }
                for s in r.standIns { out += "  stand-in  \(s.path) \(s.template): \(s.reason)\n" }
                out += "  \(r.paths.count) values, \(r.unsupported.count) unsupported, \(r.standIns.count) stand-ins\n"
            }
        }
        return out
    }
}

/// JSON rendering of evaluated values in the goldens' layout.
enum EvalJSON {
    static func mode(_ result: Result<EvaluationResult, EvaluationError>) -> JSONValue {
        switch result {
        case .failure(let error):
            return .object([("error", .string(error.description))])
        case .success(let r):
            var outputs: [(String, JSONValue)] = []
            for path in r.paths {
                guard let t = r.outputs[path] else { continue }
                outputs.append((path, tensor(t)))
            }
            var object: [(String, JSONValue)] = [("outputs", .object(outputs))]
            if !r.unsupported.isEmpty {
                object.append(("unsupported", .object(r.unsupported.map { ($0.path, .string($0.reason)) })))
            }
            if !r.failed.isEmpty {
                object.append(("failed", .object(r.failed.map { ($0.path, .string($0.reason)) })))
            }
            if !r.standIns.isEmpty {
                object.append(("stand_ins", .array(r.standIns.map { .string($0.path) })))
            }
            return .object(object)
        }
    }

    /// `{"value", "shape", "dynamic"}` of a tensor, batch first and feature last.
    static func tensor(_ tensor: Tensor) -> JSONValue {
        let t = tensor.batchSpatialMajor()
        func element(_ v: Float) -> JSONValue {
            if t.dtype == "bool" { return .bool(v != 0) }
            if t.dtype.hasPrefix("int") || t.dtype.hasPrefix("uint") { return .int(Int(v)) }
            if !v.isFinite { return .double(Double(v)) }
            return .double(Double(v.description) ?? Double(v))
        }
        func nested(_ axis: Int, _ offset: Int, _ strides: [Int]) -> JSONValue {
            if axis == t.shape.count { return element(t.values[offset]) }
            return .array((0..<t.shape[axis]).map { nested(axis + 1, offset + $0 * strides[axis], strides) })
        }
        let strides = Tensor.strides(for: t.shape)
        var dynamic: [JSONValue] = []
        for (axis, dim) in t.dims.enumerated() where dim.isDynamic && dim.kind != .batch {
            guard let lengths = t.lengths[dim.name] else { continue }
            dynamic.append(.object([("axis", .int(axis)), ("dim", .string(dim.name)), ("lens", .array(lengths.map { .int($0) }))]))
        }
        return .object([("value", nested(0, 0, strides)), ("shape", .array(t.shape.map { .int($0) })), ("dynamic", .array(dynamic))])
    }
}
