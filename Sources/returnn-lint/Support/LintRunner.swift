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
        // With a single input the process exits right after reporting, so its analysis is left for the exit to
        // reclaim instead of being torn down node by node (as compilers do with -disable-free): that teardown
        // was 8% of the instructions of `check` on the largest corpus network. With many inputs each analysis
        // is freed, so that memory stays bounded by the largest file.
        let keepsAnalysisUntilExit = inputs.count == 1
        let results = ResultSlots<FileResult>(count: inputs.count)
        // Standard input cannot be read concurrently with anything meaningful; files are independent.
        DispatchQueue.concurrentPerform(iterations: inputs.count) { index in
            results.set(index, lint(inputs[index], keepsAnalysisUntilExit: keepsAnalysisUntilExit))
        }
        return results.values
    }

    func lint(_ input: InputFile, keepsAnalysisUntilExit: Bool = false) -> FileResult {
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
                let analysis = Analysis(config: config)
                result.findings = analysis.findings(rules: rules)
                if keepsAnalysisUntilExit { _ = Unmanaged.passRetained(KeptUntilExit(analysis)) }
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

/// A value the process keeps until it exits (never released).
private final class KeptUntilExit<Value: Sendable>: Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
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
