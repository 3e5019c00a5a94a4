import Analyzer
import ArgumentParser
import NetConfig

/// Report formats of `check`.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case text, json, sarif, github
}

/// Limits on hostile input, as options.
struct LimitOptions: ParsableArguments {
    @Option(name: .customLong("max-file-size"), help: "Largest accepted file, in bytes.")
    var maxFileSize: Int = ParseLimits.default.maxFileBytes

    @Option(name: .customLong("max-nesting"), help: "Deepest accepted nesting of mappings and lists.")
    var maxNesting: Int = ParseLimits.default.maxNestingDepth

    @Option(name: .customLong("max-alias-expansion"), help: "Most nodes YAML aliases may copy in total.")
    var maxAliasExpansion: Int = ParseLimits.default.maxAliasExpansion

    @Option(name: .customLong("max-layers"), help: "Most layers in one file (nested ones included).")
    var maxLayers: Int = ParseLimits.default.maxLayers

    var limits: ParseLimits {
        ParseLimits(
            maxFileBytes: maxFileSize, maxNestingDepth: maxNesting, maxAliasExpansion: maxAliasExpansion,
            maxLayers: maxLayers)
    }

    /// The largest accepted `--max-nesting`. Value trees are freed recursively by the Swift runtime, so a
    /// deeper tree could overflow the stack when it is released, whatever the parser does.
    static let maxNestingBound = 10_000

    mutating func validate() throws {
        let values = [
            ("--max-file-size", maxFileSize), ("--max-nesting", maxNesting),
            ("--max-alias-expansion", maxAliasExpansion), ("--max-layers", maxLayers),
        ]
        for (option, value) in values where value <= 0 {
            throw ValidationError("\(option) must be a positive number, got \(value)")
        }
        if maxNesting > Self.maxNestingBound {
            throw ValidationError(
                "--max-nesting must be at most \(Self.maxNestingBound) (deeper trees could overflow the stack), got \(maxNesting)")
        }
    }
}

/// `returnn-lint check`: report findings.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Report findings with file:line:col; exit 1 if there are any, 2 on unreadable input.")

    @Argument(help: "Files or directories (searched for *.json, *.yaml, *.yml); '-' reads standard input.")
    var paths: [String] = []

    @Option(name: .customLong("output-format"), help: "Report format.")
    var outputFormat: OutputFormat = .text

    @Option(name: .customLong("select"), help: "Only these rules (codes, names or code prefixes; comma-separated).")
    var select: [String] = []

    @Option(name: .customLong("ignore"), help: "Skip these rules (codes, names or code prefixes; comma-separated).")
    var ignore: [String] = []

    @Flag(name: .customLong("exit-zero"), help: "Exit 0 even when there are findings (2 still means an input error).")
    var exitZero = false

    @Flag(name: .customLong("statistics"), help: "Print the number of findings per rule instead of the findings.")
    var statistics = false

    @Option(name: .customLong("stdin-filename"), help: "The file name to report (and pick the format by) when reading standard input.")
    var stdinFilename: String?

    @OptionGroup var limitOptions: LimitOptions

    @Flag(name: .customLong("fix"), help: "Apply safe fixes (each verified numerically first) and write the files.")
    var fix = false

    @Flag(name: .customLong("unsafe-fixes"), help: "Also apply unsafe fixes (they change what the network computes); inconclusive verifications are accepted.")
    var unsafeFixes = false

    @Flag(name: .customLong("diff"), help: "Print a unified diff of the fixes instead of writing files; exit 1 if anything would change.")
    var diff = false

    @Flag(name: .customLong("exit-non-zero-on-fix"), help: "Exit 1 when a file was changed, even if no finding remains (for pre-commit hooks).")
    var exitNonZeroOnFix = false

    @Flag(name: .customLong("no-verify"), help: "Skip the numeric verification of fixes (not recommended).")
    var noVerify = false

    @Option(name: .customLong("verify-trials"), help: "Trials of the numeric verification.")
    var verifyTrials: Int = 8

    @Option(name: .customLong("verify-seed"), help: "Seed of the numeric verification.")
    var verifySeed: UInt64 = 0x5EED

    // The --fix options are declared here rather than as an option group: a group costs ArgumentParser a nested
    // argument set on each of its several builds per run.

    /// The fix engine's settings these flags mean.
    func fixEngineSettings(rules: [any Rule.Type], limits: ParseLimits) -> FixEngineSettings {
        FixEngineSettings(
            options: FixOptions(includeUnsafe: unsafeFixes, verify: !noVerify, rules: rules, limits: limits),
            verifier: NumericVerifier(trials: verifyTrials, seed: verifySeed))
    }

    func validate() throws {
        if verifyTrials < 1 { throw ValidationError("--verify-trials must be at least 1") }
        if paths.isEmpty && stdinFilename == nil {
            throw ValidationError("give at least one file or directory, or '-' for standard input")
        }
        for selector in (select + ignore).flatMap(Self.splitList) where RuleRegistry.rules(matching: selector).isEmpty {
            throw ValidationError("unknown rule '\(selector)'; 'returnn-lint rule --all' lists the rules")
        }
    }

    static func splitList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
    }

    /// The rules selected by `--select` and `--ignore`.
    var selectedRules: [any Rule.Type] {
        let selectors = select.flatMap(Self.splitList)
        let chosen = selectors.isEmpty ? RuleRegistry.all : selectors.flatMap(RuleRegistry.rules(matching:))
        var ignored = Set<RuleID>()
        for selector in ignore.flatMap(Self.splitList) {
            for rule in RuleRegistry.rules(matching: selector) { ignored.insert(rule.id) }
        }
        var seen = Set<RuleID>()
        var result: [any Rule.Type] = []
        for rule in chosen where !ignored.contains(rule.id) && !seen.contains(rule.id) {
            seen.insert(rule.id)
            result.append(rule)
        }
        return result.sorted { $0.id < $1.id }
    }

    func run() throws {
        let inputPaths = paths.isEmpty ? ["-"] : paths
        let inputs: [InputFile]
        do {
            inputs = try InputDiscovery.inputs(for: inputPaths, stdinFilename: stdinFilename)
        } catch {
            Console.err("\(error)\n")
            throw ExitCode(2)
        }
        let rules = selectedRules
        var runner = LintRunner(rules: rules, limits: limitOptions.limits)
        let fixing = fix || diff
        if fixing { runner.fixOptions = fixEngineSettings(rules: rules, limits: limitOptions.limits) }
        let results = runner.run(inputs)
        var errors = results.contains { $0.error != nil }
        var changedFiles = 0
        var unwritten = Set<String>()
        var diffText = ""
        // Standard input with --fix: the fixed text goes to standard output, the report to standard error.
        let reportToStderr = fix && !diff && inputs.contains { $0.readPath == nil }
        for result in results {
            if let error = result.error { Console.err((error + "\n")) }
            guard let outcome = result.fixOutcome else { continue }
            if !outcome.changed {
                // Standard input is always echoed in fix mode, so that editor pipes never lose text.
                if fix, !diff, result.input.readPath == nil { Console.out(outcome.fixedBytes) }
                continue
            }
            changedFiles += 1
            if diff {
                diffText += UnifiedDiff.render(old: outcome.original.bytes, new: outcome.fixedBytes, path: result.input.displayPath)
            } else if let path = result.input.readPath {
                do {
                    try AtomicWriter.write(outcome.fixedBytes, to: path)
                } catch {
                    Console.err("\(error)\n")
                    errors = true
                    changedFiles -= 1
                    unwritten.insert(result.input.displayPath)
                }
            } else {
                Console.out(outcome.fixedBytes)
            }
        }
        if fixing {
            for result in results {
                if let problem = result.fixOutcome?.problem {
                    Console.err("\(result.input.displayPath): warning: \(problem)\n")
                }
            }
        }
        if diff {
            Console.out(diffText)
            let fixedCount = results.reduce(0) { $0 + ($1.fixOutcome?.applied.count ?? 0) }
            Console.err("Would fix \(fixedCount) finding\(fixedCount == 1 ? "" : "s") in \(changedFiles) file\(changedFiles == 1 ? "" : "s").\n")
            if errors { throw ExitCode(2) }
            if changedFiles > 0 && !exitZero { throw ExitCode(1) }
            return
        }
        let findings = results.flatMap(\.findings).sorted(by: Finding.reportOrder)
        let sources = Dictionary(results.compactMap { r in r.reportSource.map { (r.input.displayPath, $0) } }, uniquingKeysWith: { a, _ in a })
        var output: String
        if statistics {
            output = StatisticsReporter.render(findings, format: outputFormat)
        } else {
            switch outputFormat {
            case .text: output = TextReporter.render(findings, sources: sources, hadErrors: errors)
            case .json: output = JSONReporter.render(findings, sources: sources)
            case .sarif: output = SARIFReporter.render(findings, rules: selectedRules, sources: sources)
            case .github: output = GitHubReporter.render(findings, sources: sources)
            }
        }
        if fix, outputFormat == .text, !statistics {
            for result in results where !unwritten.contains(result.input.displayPath) {
                for applied in result.fixOutcome?.applied ?? [] {
                    let verification = applied.fix?.verification.map { " [verification: \(VerificationText.summary($0))]" } ?? ""
                    output += "fixed \(applied.file):\(applied.start.line):\(applied.start.column): \(applied.rule.code) \(applied.fix?.message ?? applied.message)\(verification)\n"
                }
            }
            let fixedCount = results.filter { !unwritten.contains($0.input.displayPath) }.reduce(0) { $0 + ($1.fixOutcome?.applied.count ?? 0) }
            output += "Fixed \(fixedCount) finding\(fixedCount == 1 ? "" : "s") in \(changedFiles) file\(changedFiles == 1 ? "" : "s").\n"
        }
        Console.write(output, toStandardError: reportToStderr)
        if errors { throw ExitCode(2) }
        if exitZero { return }
        if !findings.isEmpty { throw ExitCode(1) }
        if exitNonZeroOnFix && changedFiles > 0 { throw ExitCode(1) }
    }
}

/// What `LintRunner` needs to fix files.
struct FixEngineSettings: Sendable {
    var options: FixOptions
    var verifier: NumericVerifier
}
