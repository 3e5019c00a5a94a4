import Analyzer
import ArgumentParser
import Foundation
import NetConfig

/// Report formats of `check`.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
    case text, json, sarif, github
}

/// Limits on hostile input, as options.
struct LimitOptions: ParsableArguments {
    @Option(help: "Largest accepted file, in bytes.")
    var maxFileSize: Int = ParseLimits.default.maxFileBytes

    @Option(help: "Deepest accepted nesting of mappings and lists.")
    var maxNesting: Int = ParseLimits.default.maxNestingDepth

    @Option(help: "Most nodes YAML aliases may copy in total.")
    var maxAliasExpansion: Int = ParseLimits.default.maxAliasExpansion

    @Option(help: "Most layers in one file (nested ones included).")
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

    @Option(name: .long, help: "Report format.")
    var outputFormat: OutputFormat = .text

    @Option(name: .long, parsing: .upToNextOption, help: "Only these rules (codes, names or code prefixes; comma-separated).")
    var select: [String] = []

    @Option(name: .long, parsing: .upToNextOption, help: "Skip these rules (codes, names or code prefixes; comma-separated).")
    var ignore: [String] = []

    @Flag(name: .long, help: "Exit 0 even when there are findings (2 still means an input error).")
    var exitZero = false

    @Flag(name: .long, help: "Print the number of findings per rule instead of the findings.")
    var statistics = false

    @Option(name: .long, help: "The file name to report (and pick the format by) when reading standard input.")
    var stdinFilename: String?

    @OptionGroup var limitOptions: LimitOptions

    func validate() throws {
        if paths.isEmpty && stdinFilename == nil {
            throw ValidationError("give at least one file or directory, or '-' for standard input")
        }
        for selector in (select + ignore).flatMap(Self.splitList) where RuleRegistry.rules(matching: selector).isEmpty {
            throw ValidationError("unknown rule '\(selector)'; 'returnn-lint rule --all' lists the rules")
        }
    }

    static func splitList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
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
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        let runner = LintRunner(rules: selectedRules, limits: limitOptions.limits)
        let results = runner.run(inputs)
        for result in results {
            if let error = result.error { FileHandle.standardError.write(Data((error + "\n").utf8)) }
        }
        let findings = results.flatMap(\.findings).sorted(by: Finding.reportOrder)
        let sources = Dictionary(results.compactMap { r in r.source.map { (r.input.displayPath, $0) } }, uniquingKeysWith: { a, _ in a })
        let output: String
        if statistics {
            output = StatisticsReporter.render(findings, format: outputFormat)
        } else {
            switch outputFormat {
            case .text: output = TextReporter.render(findings, sources: sources)
            case .json: output = JSONReporter.render(findings, sources: sources)
            case .sarif: output = SARIFReporter.render(findings, rules: selectedRules, sources: sources)
            case .github: output = GitHubReporter.render(findings, sources: sources)
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
        if results.contains(where: { $0.error != nil }) { throw ExitCode(2) }
        if !findings.isEmpty && !exitZero { throw ExitCode(1) }
    }
}
