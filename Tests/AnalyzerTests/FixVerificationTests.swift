import Foundation
import NetConfig
import Testing

@testable import Analyzer

// Verification gates every safe fix: a deliberately wrong rewrite, injected as a "safe" fix of a test rule,
// is caught by the numeric verifier (with a counterexample) and never applied, while a right one is.

/// A test rule whose "safe" fix swaps the activation of the layer `lin` from tanh to relu: it changes what
/// the network computes, so verification must fail.
struct WrongActivationRule: Rule {
    static let id = RuleID(code: "RL900", name: "test-wrong-rewrite")
    static let severity = Severity.warning
    static let documentation = RuleDocumentation(summary: "test only", what: "", why: "", example: "", fix: "")

    init() {}

    func check(_ analysis: Analysis) -> [Finding] {
        guard let id = analysis.graph[scope: analysis.graph.root].layerByName["lin"],
            let node = analysis.graph[id].layer.option("activation"), node.stringValue == "tanh"
        else { return [] }
        let quoted = analysis.config.document.source.text(node.span)
        let replacement = quoted.hasPrefix("\"") ? "\"relu\"" : "relu"
        return [
            finding(
                "test: wrong rewrite", in: analysis, span: node.span, layer: id,
                fix: Fix(message: "swap tanh for relu", edits: [TextEdit(range: node.span, replacement: replacement)], applicability: .safe))
        ]
    }
}

/// The same swap to an identical activation name spelled another way round trip: tanh → tanh (a rewrite
/// that keeps the numbers, so verification must pass).
struct HarmlessRewriteRule: Rule {
    static let id = RuleID(code: "RL901", name: "test-harmless-rewrite")
    static let severity = Severity.warning
    static let documentation = RuleDocumentation(summary: "test only", what: "", why: "", example: "", fix: "")

    init() {}

    func check(_ analysis: Analysis) -> [Finding] {
        guard let id = analysis.graph[scope: analysis.graph.root].layerByName["lin"],
            let node = analysis.graph[id].layer.option("activation"), analysis.config.document.source.text(node.span) == "\"tanh\""
        else { return [] }
        return [
            finding(
                "test: harmless rewrite", in: analysis, span: node.span, layer: id,
                fix: Fix(message: "unquote tanh", edits: [TextEdit(range: node.span, replacement: "\"tanh\" ")], applicability: .safe))
        ]
    }
}

@Suite("Fix verification")
struct FixVerificationTests {
    static let text = #"""
        {"extern_data": {"data": {"dim": 4}},
         "network": {
           "lin": {"class": "linear", "from": "data", "n_out": 3, "activation": "tanh"},
           "output": {"class": "copy", "from": "lin"}}}
        """#

    @Test func aWrongRewriteIsCaughtAndNotWritten() throws {
        let source = SourceText(path: "wrong.json", text: Self.text)
        let outcome = try FixEngine.run(
            source, format: .json, options: FixOptions(rules: [WrongActivationRule.self]), verifier: NumericVerifier(trials: 2))
        #expect(!outcome.changed, "a failed verification must block the write")
        #expect(outcome.applied.isEmpty)
        let finding = try #require(outcome.remaining.first { $0.rule.code == "RL900" })
        let verification = try #require(finding.fix?.verification)
        #expect(verification.status == .failed)
        let counterexample = try #require(verification.counterexample, "a failed verification names a counterexample")
        #expect(counterexample.layer == "lin" || counterexample.layer == "output")
        #expect(counterexample.original != counterexample.rewritten)
    }

    @Test func theSameRewriteWithoutVerificationIsApplied() throws {
        // The control: the engine would apply it (so the test above really tests the verification).
        let source = SourceText(path: "wrong.json", text: Self.text)
        let outcome = try FixEngine.run(
            source, format: .json, options: FixOptions(verify: false, rules: [WrongActivationRule.self]), verifier: nil)
        #expect(outcome.changed)
        #expect(String(decoding: outcome.fixedBytes, as: UTF8.self).contains("\"relu\""))
    }

    @Test func aRewriteThatKeepsTheNumbersPasses() throws {
        let source = SourceText(path: "harmless.json", text: Self.text)
        let outcome = try FixEngine.run(
            source, format: .json, options: FixOptions(rules: [HarmlessRewriteRule.self], maxPasses: 1), verifier: NumericVerifier(trials: 2))
        #expect(outcome.changed)
        #expect(outcome.applied.first?.fix?.verification?.status == .passed)
    }

    // MARK: - The masked corpus

    static let maskedCorpus = SharedFiles.files(in: SharedFiles.shared.appendingPathComponent("corpus/masked"), suffix: ".json")

    /// The corpus JSON as a YAML file with comments: JSON is YAML (flow style), and a comment line goes after
    /// every second line that closes a dict or list entry (`},` / `],`): outside any unmask layer (whose dict is
    /// flat), so a fix must keep every one of them.
    static func commentedYAML(_ json: String) -> String {
        var lines: [String] = []
        var entryEnds = 0
        for line in json.split(separator: "\n", omittingEmptySubsequences: false) {
            lines.append(String(line))
            if line.hasSuffix("},") || line.hasSuffix("],") {
                entryEnds += 1
                if entryEnds % 2 == 0 { lines.append("  # comment \(entryEnds): {not: json} [x] 'y' ü") }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `--fix` on every masked corpus network, as JSON and as commented YAML (one verification trial here; the
    /// benchmark runs the default 8 in release): every redundant unmask goes with verification "passed" (or
    /// stays with a reason when RETURNN cannot build the original at all), the result loads with no RL101 left,
    /// comments stay, and a second run changes nothing.
    @Test("masked corpus: --fix removes every redundant unmask, verified", arguments: maskedCorpus)
    func maskedCorpusFix(_ url: URL) throws {
        let json = try String(contentsOf: url, encoding: .utf8)
        for (format, text) in [(SourceFormat.json, json), (.yaml, Self.commentedYAML(json))] {
            let name = "\(url.lastPathComponent) (\(format))"
            let source = SourceText(path: url.path, text: text)
            let redundantBefore = Analysis(config: try NetworkConfig.load(source, format: format)).findings().filter { $0.rule.code == "RL101" }
            let outcome = try FixEngine.run(source, format: format, options: FixOptions(), verifier: NumericVerifier(trials: 1))
            #expect(outcome.problem == nil, "\(name): \(outcome.problem ?? "")")
            for finding in outcome.applied {
                #expect(finding.fix?.verification?.status == .passed, "\(name): \(finding.message): \(String(describing: finding.fix?.verification))")
            }
            #expect(outcome.applied.filter { $0.rule.code == "RL101" }.count + outcome.remaining.filter { $0.rule.code == "RL101" }.count >= redundantBefore.count)
            for left in outcome.remaining where left.rule.code == "RL101" {
                let verification = left.fix?.verification
                #expect(
                    verification?.status == .inconclusive && verification?.detail?.contains("cannot build the original in any loop mode") == true,
                    "\(name): RL101 left at \(left.start): \(String(describing: verification))")
            }
            let fixedText = String(decoding: outcome.fixedBytes, as: UTF8.self)
            let fixed = try NetworkConfig.load(SourceText(path: url.path, bytes: outcome.fixedBytes), format: format)
            #expect(Analysis(config: fixed).findings().filter { $0.rule.code == "RL101" }.count == outcome.remaining.filter { $0.rule.code == "RL101" }.count)
            if format == .yaml {
                let comments = { (t: String) in t.split(separator: "\n").filter { $0.hasPrefix("  # comment") }.count }
                #expect(comments(fixedText) == comments(text), "\(name): comments lost")
            }
            let again = try FixEngine.run(
                SourceText(path: url.path, bytes: outcome.fixedBytes), format: format, options: FixOptions(), verifier: NumericVerifier(trials: 1))
            #expect(!again.changed, "\(name): a second run changed more")
        }
    }

    @Test("the masked corpus is there")
    func maskedCorpusSize() {
        #expect(Self.maskedCorpus.count == 25)
    }
}
