import Analyzer
import Dispatch
import Synchronization
import NetConfig

/// The outcome of linting one input.
struct FileResult: Sendable {
    /// The input.
    var input: InputFile
    /// The text, when it could be read.
    var source: SourceText?
    /// The findings (after rule selection), in report order.
    var findings: [Finding] = []
    /// A one-line error that stopped this file (`FILE:LINE:COL: error: …`), exit code 2.
    var error: String?
    /// In fix mode: what the fix engine did.
    var fixOutcome: FixOutcome?

    /// The text the findings point into (the fixed text after `--fix`).
    var reportSource: SourceText? {
        guard let outcome = fixOutcome, let source else { return source }
        return SourceText(path: source.path, bytes: outcome.fixedBytes)
    }
}

/// Lints many files in parallel; results come back in input order.
struct LintRunner: Sendable {
    var rules: [any Rule.Type]
    var limits: ParseLimits
    /// Set in fix mode.
    var fixOptions: FixEngineSettings?

    func run(_ inputs: [InputFile]) -> [FileResult] {
        let results = ResultSlots<FileResult>(count: inputs.count)
        // Standard input cannot be read concurrently with anything meaningful; files are independent.
        DispatchQueue.concurrentPerform(iterations: inputs.count) { index in
            results.set(index, lint(inputs[index]))
        }
        return results.values
    }

    func lint(_ input: InputFile) -> FileResult {
        var result = FileResult(input: input)
        let source: SourceText
        do {
            source = try InputDiscovery.read(input, maxBytes: limits.maxFileBytes)
        } catch {
            result.error = "\(error)"
            return result
        }
        result.source = source
        do {
            if let fixOptions {
                let outcome = try FixEngine.run(source, format: formatFor(input), options: fixOptions.options, verifier: fixOptions.verifier)
                result.fixOutcome = outcome
                // After fixing, the report shows what remains (in the fixed text).
                result.findings = outcome.remaining
            } else {
                let config = try NetworkConfig.load(source, format: formatFor(input), limits: limits)
                result.findings = Analysis(config: config).findings(rules: rules)
            }
        } catch {
            result.error = error.rendered(in: source)
        }
        return result
    }

    private func formatFor(_ input: InputFile) -> SourceFormat {
        SourceFormat.forPath(input.displayPath)
    }
}

/// Fixed-size result storage written from concurrent iterations, one slot each.
final class ResultSlots<Value: Sendable>: Sendable {
    private let slots: Mutex<[Value?]>

    init(count: Int) {
        slots = Mutex(Array(repeating: nil, count: count))
    }

    func set(_ index: Int, _ value: Value) {
        slots.withLock { $0[index] = value }
    }

    var values: [Value] {
        slots.withLock { $0.compactMap { $0 } }
    }
}
