import Foundation
import Testing

@testable import Analyzer
@testable import NetConfig
@testable import returnn_lint

// MARK: - Test rules (fixed documentation, so goldens do not follow edits of the real rules)

/// An error rule used only by these tests.
struct TestErrorRule: Rule {
    static let id = RuleID(code: "RLX01", name: "unknown-thing")
    static let severity = Severity.error
    static let documentation = RuleDocumentation(
        summary: "a thing refers to something that does not exist",
        what: "Every `from` is resolved; names that do not resolve are reported.",
        why: "RETURNN fails with `LayerNotFound` when it builds the layer.",
        example: "\"a\": {\"class\": \"copy\", \"from\": \"nope\"}\n\"b\": {\"class\": \"copy\", \"from\": \"a\"}",
        fix: "Correct the name. There is no automatic fix.")
    /// Creates the rule.
    init() {}
    /// Finds nothing (the tests build findings directly).
    func check(_ analysis: Analysis) -> [Finding] { [] }
}

/// A warning rule used only by these tests.
struct TestWarningRule: Rule {
    static let id = RuleID(code: "RLX02", name: "redundant-thing")
    static let severity = Severity.warning
    static let documentation = RuleDocumentation(
        summary: "a layer that changes nothing", what: "Finds layers that return their input unchanged.",
        why: "They cost time and hide the data flow.", example: "\"u\": {\"class\": \"unmask\", \"from\": \"x\"}",
        fix: "`--fix` removes the layer and points its consumers at its input (verified numerically).")
    /// Creates the rule.
    init() {}
    /// Finds nothing (the tests build findings directly).
    func check(_ analysis: Analysis) -> [Finding] { [] }
}

/// An info rule used only by these tests.
struct TestInfoRule: Rule {
    static let id = RuleID(code: "RLX03", name: "style-thing")
    static let severity = Severity.info
    static let documentation = RuleDocumentation(
        summary: "a style hint", what: "Suggests smaller sizes.", why: "Smaller is faster.", example: "n_out: 512",
        fix: "Use 256 (unsafe: changes the model).")
    /// Creates the rule.
    init() {}
    /// Finds nothing (the tests build findings directly).
    func check(_ analysis: Analysis) -> [Finding] { [] }
}

/// The test rules, as passed to the SARIF reporter (RLX09 is deliberately not among them).
let testRules: [any Rule.Type] = [TestErrorRule.self, TestWarningRule.self, TestInfoRule.self]

/// A rule identity that is neither selected nor registered.
let unregisteredRule = RuleID(code: "RLX09", name: "unregistered-thing")

// MARK: - Sample input

/// A YAML config with multibyte characters, in a path with a space and a non-ASCII letter.
let yamlPath = "configs/net ü.yaml"
let yamlText = """
    # Netz für Tests — ünïcödé
    network:
      ëmbed_ü:
        class: linear
        from: dätä
        n_out: 512
      unmask_h:
        class: unmask
        from: ëmbed_ü
        mask: mäsk
      output: {class: softmax, from: unmask_h, n_out: 10}

    """

/// A one-line JSON config.
let jsonPath = "configs/plain.json"
let jsonText = #"{"network": {"out": {"class": "copy", "from": "data"}}}"# + "\n"

/// The byte range of the `nth` (0-based) occurrence of `marker` in `text`.
func byteRange(of marker: String, in text: String, nth: Int = 0) throws -> Range<Int> {
    let haystack = Array(text.utf8)
    let needle = Array(marker.utf8)
    var found = 0
    var i = 0
    while i + needle.count <= haystack.count {
        if Array(haystack[i..<(i + needle.count)]) == needle {
            if found == nth { return i..<(i + needle.count) }
            found += 1
        }
        i += 1
    }
    throw SampleError(description: "'\(marker)' (#\(nth)) not in text")
}

/// A missing marker in sample text.
struct SampleError: Error, CustomStringConvertible {
    /// What was not found.
    var description: String
}

/// The sample findings (in report order) and their sources.
struct Sample {
    /// The findings, in report order.
    var findings: [Finding]
    /// The source texts by display path.
    var sources: [String: SourceText]

    /// Findings of every kind: with and without layer paths, notes (with and without spans), fixes of each
    /// applicability, passed and failed verifications, single- and multi-line spans, two files.
    static func make() throws -> Sample {
        let yaml = SourceText(path: yamlPath, text: yamlText)
        let json = SourceText(path: jsonPath, text: jsonText)
        let unknown = Finding(
            rule: TestErrorRule.id, severity: .error, message: "layer 'dätä' does not exist in the network",
            source: yaml, span: try byteRange(of: "dätä", in: yamlText), layerPath: "ëmbed_ü",
            notes: [Note("did you mean 'data'?")])
        let blockStart = try byteRange(of: "  unmask_h:", in: yamlText).lowerBound
        let blockEnd = try byteRange(of: "  output:", in: yamlText).lowerBound
        let redundant = Finding(
            rule: TestWarningRule.id, severity: .warning, message: "layer 'unmask_h' is redundant: its input is not masked",
            source: yaml,
            span: try byteRange(of: "unmask_h", in: yamlText).lowerBound..<(try byteRange(of: "mäsk", in: yamlText).upperBound),
            layerPath: "unmask_h",
            notes: [Note("'ëmbed_ü' is not masked", span: try byteRange(of: "ëmbed_ü", in: yamlText, nth: 1))],
            fix: Fix(
                message: "remove 'unmask_h' and point its consumers at 'ëmbed_ü'",
                edits: [
                    TextEdit(range: try byteRange(of: "unmask_h", in: yamlText, nth: 1), replacement: "ëmbed_ü"),
                    TextEdit(range: blockStart..<blockEnd, replacement: ""),
                ],
                applicability: .safe,
                verification: Verification(
                    status: .passed, trials: 8, seed: 18_446_744_073_709_551_557, maxAbsDiff: 0,
                    standIns: ["ëmbed_ü"], comparedLayers: 3)))
        let style = Finding(
            rule: TestInfoRule.id, severity: .info, message: "'n_out' of 512 uses 100% of the budget: try 256, or 128",
            source: yaml, span: try byteRange(of: "512", in: yamlText),
            fix: Fix(
                message: "use 256", edits: [TextEdit(range: try byteRange(of: "512", in: yamlText), replacement: "256")],
                applicability: .unsafe,
                verification: Verification(
                    status: .failed, trials: 2, seed: 7, maxAbsDiff: 0.25, detail: "max abs diff 0.25 > atol 1e-06",
                    counterexample: Verification.Counterexample(
                        trial: 1, seed: 8, layer: "output", mode: "loop", index: [0, 3, 1], original: 0.5, rewritten: 0.75),
                    comparedLayers: 2)))
        let plain = Finding(
            rule: unregisteredRule, severity: .warning, message: "layer 'out' copies 'data' without 'n_out'",
            source: json, span: try byteRange(of: "\"copy\"", in: jsonText), layerPath: "out",
            fix: Fix(
                message: "add 'n_out'",
                edits: [TextEdit(range: try byteRange(of: "\"data\"", in: jsonText).upperBound..<(try byteRange(of: "\"data\"", in: jsonText).upperBound), replacement: ", \"n_out\": 3")],
                applicability: .displayOnly))
        return Sample(
            findings: [unknown, redundant, style, plain].sorted(by: Finding.reportOrder),
            sources: [yamlPath: yaml, jsonPath: json])
    }
}

// MARK: - Goldens

/// The folder of golden files, next to this file.
let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

/// The repository root (two levels above this file's folder).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Compares `actual` with the golden file `name`; with `RECORD_GOLDEN=1` rewrites it and fails, so recording is never green.
func assertGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let url = goldenDirectory.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
        do {
            try FileManager.default.createDirectory(at: goldenDirectory, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url)
            Issue.record("recorded golden '\(name)'; run again without RECORD_GOLDEN=1", sourceLocation: sourceLocation)
        } catch {
            Issue.record("cannot write golden '\(name)': \(error)", sourceLocation: sourceLocation)
        }
        return
    }
    guard let data = FileManager.default.contents(atPath: url.path) else {
        Issue.record("golden '\(name)' is missing; record it with RECORD_GOLDEN=1", sourceLocation: sourceLocation)
        return
    }
    let expected = String(decoding: data, as: UTF8.self)
    if actual == expected { return }
    let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
    var line = 0
    while line < min(actualLines.count, expectedLines.count), actualLines[line] == expectedLines[line] { line += 1 }
    let got = line < actualLines.count ? String(actualLines[line]) : "<end>"
    let want = line < expectedLines.count ? String(expectedLines[line]) : "<end>"
    Issue.record(
        "output differs from golden '\(name)' at line \(line + 1):\n  expected: \(want)\n  actual:   \(got)\n(RECORD_GOLDEN=1 rewrites goldens)",
        sourceLocation: sourceLocation)
}

/// SARIF with the tool version replaced, so a version bump does not touch the golden.
func versionNeutral(_ sarif: String) -> String {
    sarif.replacingOccurrences(
        of: "\"semanticVersion\": \"\(ReturnnLint.version)\"", with: "\"semanticVersion\": \"<version>\"")
}

/// Parses a JSON text (Foundation), failing the test when it is not JSON.
func parseJSON(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}

// MARK: - Python (jsonschema) for SARIF validation

/// Runs `python3` with `arguments`; nil when it cannot be started.
func runPython(_ arguments: [String]) -> (status: Int32, output: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Whether `python3` with the `jsonschema` package is available.
let jsonschemaAvailable: Bool = runPython(["-c", "import jsonschema"])?.status == 0

/// Validates a SARIF file against the schema (draft 4), checking `uri`/`uri-reference` formats per RFC 3986.
let sarifValidatorScript = #"""
    import json, re, sys
    import jsonschema
    schema = json.load(open(sys.argv[1], encoding="utf-8"))
    doc = json.load(open(sys.argv[2], encoding="utf-8"))
    checker = jsonschema.FormatChecker()
    CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")
    SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
    @checker.checks("uri")
    def _uri(value):
        return not isinstance(value, str) or (CHARS.match(value) is not None and SCHEME.match(value) is not None)
    @checker.checks("uri-reference")
    def _uri_reference(value):
        if not isinstance(value, str):
            return True
        if CHARS.match(value) is None:
            return False
        return SCHEME.match(value) is not None or ":" not in value.split("/", 1)[0]
    validator = jsonschema.Draft4Validator(schema, format_checker=checker)
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        print("/".join(str(p) for p in error.absolute_path) + ": " + error.message)
    print("checked %d result(s): %s" % (sum(len(r.get("results", [])) for r in doc.get("runs", [])), "invalid" if errors else "valid"))
    sys.exit(1 if errors else 0)
    """#

// MARK: - Tests

/// Tests of the JSON, SARIF, GitHub and statistics reporters and of the `rule` command.
@Suite struct ReporterTests {
    // MARK: Goldens

    /// JSON output of the sample matches its golden.
    @Test func jsonGolden() throws {
        let sample = try Sample.make()
        assertGolden(JSONReporter.render(sample.findings, sources: sample.sources), "findings.json")
    }

    /// SARIF output of the sample matches its golden (tool version neutralised).
    @Test func sarifGolden() throws {
        let sample = try Sample.make()
        let sarif = SARIFReporter.render(sample.findings, rules: testRules, sources: sample.sources)
        assertGolden(versionNeutral(sarif), "findings.sarif")
    }

    /// GitHub workflow commands of the sample match their golden.
    @Test func githubGolden() throws {
        let sample = try Sample.make()
        assertGolden(GitHubReporter.render(sample.findings, sources: sample.sources), "findings.github.txt")
    }

    /// Statistics in text and JSON match their goldens.
    @Test func statisticsGoldens() throws {
        let sample = try Sample.make()
        // Repeat some findings so counts differ: RLX02 ×3 (all fixable), RLX01 ×2, the others once.
        let findings = sample.findings + sample.findings.filter { $0.rule == TestWarningRule.id } .flatMap { [$0, $0] }
            + sample.findings.filter { $0.rule == TestErrorRule.id }
        assertGolden(StatisticsReporter.render(findings, format: .text), "statistics.txt")
        assertGolden(StatisticsReporter.render(findings, format: .json), "statistics.json")
    }

    /// `rule` output (one rule, the list; text and JSON) matches its goldens.
    @Test func ruleCommandGoldens() {
        assertGolden(RuleCommand.render(TestErrorRule.self, format: .text), "rule.txt")
        assertGolden(RuleCommand.render(TestErrorRule.self, format: .json), "rule.json")
        assertGolden(RuleCommand.renderList(testRules, format: .text), "rule-list.txt")
        assertGolden(RuleCommand.renderList(testRules, format: .json), "rule-list.json")
    }

    // MARK: Empty input

    /// No findings: `[]`, no annotations, no statistics, a SARIF run with no results.
    @Test func emptyFindings() throws {
        #expect(JSONReporter.render([]) == "[]\n")
        #expect(GitHubReporter.render([]) == "")
        #expect(StatisticsReporter.render([], format: .text) == "")
        #expect(StatisticsReporter.render([], format: .json) == "[]\n")
        let sarif = try #require(try parseJSON(SARIFReporter.render([], rules: testRules)) as? [String: Any])
        let runs = try #require(sarif["runs"] as? [[String: Any]])
        #expect((runs.first?["results"] as? [Any])?.isEmpty == true)
        let driver = try #require((runs.first?["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect((driver["rules"] as? [Any])?.count == testRules.count)
    }

    // MARK: JSON structure

    /// JSON parses back with every documented field and the right values.
    @Test func jsonStructure() throws {
        let sample = try Sample.make()
        let items = try #require(try parseJSON(JSONReporter.render(sample.findings, sources: sample.sources)) as? [[String: Any]])
        #expect(items.count == 4)
        let keys: Set<String> = [
            "code", "name", "severity", "message", "filename", "location", "end_location", "byte_range", "layer_path",
            "notes", "fix", "url",
        ]
        for item in items { #expect(Set(item.keys) == keys) }
        #expect(items.map { $0["code"] as? String } == ["RLX01", "RLX03", "RLX02", "RLX09"])

        // Columns count Unicode scalars: "    from: dätä" → 'd' is column 11, the end (after 4 scalars) column 15.
        let unknown = items[0]
        #expect(unknown["severity"] as? String == "error")
        #expect(unknown["filename"] as? String == yamlPath)
        #expect((unknown["location"] as? [String: Int]) == ["row": 5, "column": 11])
        #expect((unknown["end_location"] as? [String: Int]) == ["row": 5, "column": 15])
        let dataRange = try byteRange(of: "dätä", in: yamlText)
        #expect((unknown["byte_range"] as? [String: Int]) == ["start": dataRange.lowerBound, "end": dataRange.upperBound])
        #expect(unknown["layer_path"] as? String == "ëmbed_ü")
        #expect(unknown["fix"] is NSNull)
        #expect(unknown["url"] as? String == "https://github.com/returnn-lint/returnn-lint/blob/main/docs/rules.md#unknown-thing")
        let unknownNotes = try #require(unknown["notes"] as? [[String: Any]])
        #expect(unknownNotes.count == 1)
        #expect(unknownNotes.first?["message"] as? String == "did you mean 'data'?")
        #expect(unknownNotes.first?["location"] is NSNull)

        let style = items[1]
        #expect(style["layer_path"] is NSNull)
        #expect(style["severity"] as? String == "info")
        let styleFix = try #require(style["fix"] as? [String: Any])
        #expect(styleFix["applicability"] as? String == "unsafe")
        let failed = try #require(styleFix["verification"] as? [String: Any])
        #expect(failed["status"] as? String == "failed")
        #expect(failed["detail"] as? String == "max abs diff 0.25 > atol 1e-06")
        let counterexample = try #require(failed["counterexample"] as? [String: Any])
        #expect(counterexample["index"] as? [Int] == [0, 3, 1])
        #expect(counterexample["layer"] as? String == "output")

        let redundant = items[2]
        #expect((redundant["location"] as? [String: Int]) == ["row": 7, "column": 3])
        #expect((redundant["end_location"] as? [String: Int]) == ["row": 10, "column": 15])
        let notes = try #require(redundant["notes"] as? [[String: Any]])
        #expect((notes.first?["location"] as? [String: Int]) == ["row": 9, "column": 11])
        let fix = try #require(redundant["fix"] as? [String: Any])
        #expect(fix["applicability"] as? String == "safe")
        let edits = try #require(fix["edits"] as? [[String: Any]])
        #expect(edits.count == 2)
        // Sorted by start: the block deletion (line 7) comes before the reference in 'output' (line 11).
        #expect(edits.first?["content"] as? String == "")
        #expect((edits.first?["location"] as? [String: Int]) == ["row": 7, "column": 1])
        #expect((edits.first?["end_location"] as? [String: Int]) == ["row": 11, "column": 1])
        #expect(edits.last?["content"] as? String == "ëmbed_ü")
        #expect((edits.last?["location"] as? [String: Int]) == ["row": 11, "column": 34])
        let verification = try #require(fix["verification"] as? [String: Any])
        #expect(Set(verification.keys) == [
            "status", "trials", "seed", "max_abs_diff", "stand_ins", "detail", "counterexample", "compared_layers",
        ])
        #expect(verification["status"] as? String == "passed")
        #expect(verification["stand_ins"] as? [String] == ["ëmbed_ü"])
        #expect(verification["counterexample"] is NSNull)
        #expect(verification["detail"] is NSNull)

        let plain = items[3]
        let plainFix = try #require(plain["fix"] as? [String: Any])
        #expect(plainFix["applicability"] as? String == "display-only")
        #expect(plainFix["verification"] is NSNull)
    }

    /// Seeds above `Int.max` are written as exact integers.
    @Test func jsonWritesLargeSeedsExactly() throws {
        let sample = try Sample.make()
        let text = JSONReporter.render(sample.findings, sources: sample.sources)
        #expect(text.contains("\"seed\": 18446744073709551557"))
    }

    /// Without the source text, edit and note positions are null but byte ranges remain.
    @Test func jsonWithoutSourceHasNullEditLocations() throws {
        let sample = try Sample.make()
        let items = try #require(try parseJSON(JSONReporter.render(sample.findings)) as? [[String: Any]])
        let fix = try #require(items[2]["fix"] as? [String: Any])
        let edits = try #require(fix["edits"] as? [[String: Any]])
        #expect(edits.first?["location"] is NSNull)
        #expect(edits.first?["byte_range"] is [String: Int])
        // The finding's own location never needs the source.
        #expect((items[2]["location"] as? [String: Int]) == ["row": 7, "column": 3])
    }

    // MARK: SARIF structure

    /// SARIF has the required and promised fields, consistent rule indices and fixes.
    @Test func sarifRequiredFields() throws {
        let sample = try Sample.make()
        let log = try #require(
            try parseJSON(SARIFReporter.render(sample.findings, rules: testRules, sources: sample.sources)) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        #expect(log["$schema"] as? String == "https://json.schemastore.org/sarif-2.1.0.json")
        let runs = try #require(log["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect(run["columnKind"] as? String == "unicodeCodePoints")
        let invocations = try #require(run["invocations"] as? [[String: Any]])
        #expect(invocations.first?["executionSuccessful"] as? Bool == true)
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["name"] as? String == "returnn-lint")
        #expect(driver["semanticVersion"] as? String == ReturnnLint.version)
        #expect(driver["informationUri"] as? String == "https://github.com/returnn-lint/returnn-lint")
        let rules = try #require(driver["rules"] as? [[String: Any]])
        // The three selected rules, then the unselected one that reported a finding.
        #expect(rules.map { $0["id"] as? String } == ["RLX01", "RLX02", "RLX03", "RLX09"])
        let first = rules[0]
        #expect(first["name"] as? String == "unknown-thing")
        #expect((first["shortDescription"] as? [String: String])?["text"] == TestErrorRule.documentation.summary)
        #expect((first["fullDescription"] as? [String: String])?["text"] == TestErrorRule.documentation.what)
        let help = try #require(first["help"] as? [String: String])
        #expect(help["text"]?.contains(TestErrorRule.documentation.why) == true)
        #expect(help["markdown"]?.contains("```") == true)
        #expect(first["helpUri"] as? String == RuleLinks.url(for: TestErrorRule.id))
        #expect((first["defaultConfiguration"] as? [String: String])?["level"] == "error")
        #expect((rules[2]["defaultConfiguration"] as? [String: String])?["level"] == "note")

        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == 4)
        for result in results {
            let ruleID = try #require(result["ruleId"] as? String)
            let index = try #require(result["ruleIndex"] as? Int)
            #expect(rules[index]["id"] as? String == ruleID)
            #expect((result["message"] as? [String: String])?["text"]?.isEmpty == false)
            let fingerprints = try #require(result["partialFingerprints"] as? [String: String])
            #expect(fingerprints["returnnLint/v1"]?.count == 16)
        }
        #expect(results.map { $0["level"] as? String } == ["error", "note", "warning", "warning"])

        // The unknown reference: location, region in code points and bytes, logical location, note in the message.
        let unknown = results[0]
        let location = try #require((unknown["locations"] as? [[String: Any]])?.first)
        let physical = try #require(location["physicalLocation"] as? [String: Any])
        #expect((physical["artifactLocation"] as? [String: String])?["uri"] == "configs/net%20%C3%BC.yaml")
        let dataRange = try byteRange(of: "dätä", in: yamlText)
        #expect(
            (physical["region"] as? [String: Int]) == [
                "startLine": 5, "startColumn": 11, "endLine": 5, "endColumn": 15, "byteOffset": dataRange.lowerBound,
                "byteLength": dataRange.count,
            ])
        let logical = try #require((location["logicalLocations"] as? [[String: String]])?.first)
        #expect(logical == ["fullyQualifiedName": "ëmbed_ü", "kind": "object"])
        #expect((unknown["message"] as? [String: String])?["text"] == "layer 'dätä' does not exist in the network\nnote: did you mean 'data'?")
        #expect(unknown["fixes"] == nil)
        #expect(unknown["relatedLocations"] == nil)
        #expect(unknown["properties"] == nil)

        // No layer path → no logical locations.
        let style = results[1]
        #expect((style["locations"] as? [[String: Any]])?.first?["logicalLocations"] == nil)

        // The redundant layer: related location for the note, a fix with two replacements, properties.
        let redundant = results[2]
        let related = try #require((redundant["relatedLocations"] as? [[String: Any]])?.first)
        #expect((related["message"] as? [String: String])?["text"] == "'ëmbed_ü' is not masked")
        let relatedRegion = try #require((related["physicalLocation"] as? [String: Any])?["region"] as? [String: Int])
        #expect(relatedRegion["startLine"] == 9)
        #expect(relatedRegion["startColumn"] == 11)
        let fix = try #require((redundant["fixes"] as? [[String: Any]])?.first)
        #expect((fix["description"] as? [String: String])?["text"] == "remove 'unmask_h' and point its consumers at 'ëmbed_ü'")
        let change = try #require((fix["artifactChanges"] as? [[String: Any]])?.first)
        #expect((change["artifactLocation"] as? [String: String])?["uri"] == "configs/net%20%C3%BC.yaml")
        let replacements = try #require(change["replacements"] as? [[String: Any]])
        #expect(replacements.count == 2)
        #expect(replacements[0]["insertedContent"] == nil)  // a deletion
        #expect((replacements[0]["deletedRegion"] as? [String: Int])?["startLine"] == 7)
        #expect((replacements[1]["insertedContent"] as? [String: String])?["text"] == "ëmbed_ü")
        let properties = try #require(redundant["properties"] as? [String: Any])
        #expect(properties["fixApplicability"] as? String == "safe")
        let verification = try #require(properties["verification"] as? [String: Any])
        #expect(verification["status"] as? String == "passed")
        #expect(verification["trials"] as? Int == 8)
    }

    /// A finding on a very long line (minified JSON) shows a window of the line around the span, with the
    /// caret still under the span; a short line is shown whole.
    @Test func longLinesAreCutToAWindowAroundTheSpan() throws {
        let filler = (0..<400).map { "\"l\($0)\": {\"class\": \"copy\"}" }.joined(separator: ", ")
        let text = "{\(filler), \"bad\": {\"class\": \"copy\", \"from\": \"nowhere\"}, \(filler)}"
        let source = SourceText(path: "min.json", text: text)
        let span = try byteRange(of: "nowhere", in: text)
        let finding = Finding(rule: TestErrorRule.id, severity: .error, message: "unknown", source: source, span: span)
        let lines = TextReporter.snippet(for: finding, in: source).split(separator: "\n", omittingEmptySubsequences: false)
        let shown = String(lines[0].dropFirst(" 1 | ".count))
        let marker = String(lines[1].dropFirst(" 1 | ".count))
        #expect(shown.count <= TextReporter.maxSnippetColumns + 2)
        #expect(shown.hasPrefix("…") && shown.hasSuffix("…"))
        let caret = try #require(marker.firstIndex(of: "^"))
        let offset = marker.distance(from: marker.startIndex, to: caret)
        #expect(String(Array(shown)[offset..<(offset + 7)]) == "nowhere")
        #expect(marker.hasSuffix("^~~~~~~"))
        let short = SourceText(path: "s.json", text: #"{"a": {"from": "nowhere"}}"#)
        let shortFinding = Finding(
            rule: TestErrorRule.id, severity: .error, message: "unknown", source: short, span: try byteRange(of: "nowhere", in: #"{"a": {"from": "nowhere"}}"#))
        #expect(TextReporter.snippet(for: shortFinding, in: short).hasPrefix(#" 1 | {"a": {"from": "nowhere"}}"#))
    }

    /// Fingerprints depend on rule, file, layer and message, not on lines.
    @Test func sarifFingerprintIgnoresPosition() throws {
        let sample = try Sample.make()
        let original = try #require(sample.findings.first { $0.rule == TestErrorRule.id })
        // The same config with three more lines on top: the finding moves down, its fingerprint stays.
        let shiftedText = "# one\n# two\n# three\n" + yamlText
        let shiftedSource = SourceText(path: yamlPath, text: shiftedText)
        let shifted = Finding(
            rule: original.rule, severity: original.severity, message: original.message, source: shiftedSource,
            span: try byteRange(of: "dätä", in: shiftedText), layerPath: original.layerPath, notes: original.notes)
        #expect(shifted.start.line == original.start.line + 3)
        #expect(SARIFReporter.fingerprint(shifted) == SARIFReporter.fingerprint(original))

        func renderedFingerprint(_ finding: Finding) throws -> String? {
            let log = try parseJSON(SARIFReporter.render([finding], rules: testRules)) as? [String: Any]
            let result = ((log?["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])?.first
            return (result?["partialFingerprints"] as? [String: String])?["returnnLint/v1"]
        }
        let a = try #require(try renderedFingerprint(original))
        #expect(try renderedFingerprint(shifted) == a)

        // Rule, file, layer and message each change it.
        var other = original
        other.message = "layer 'data2' does not exist in the network"
        #expect(SARIFReporter.fingerprint(other) != a)
        other = original
        other.file = "configs/other.yaml"
        #expect(SARIFReporter.fingerprint(other) != a)
        other = original
        other.layerPath = "output"
        #expect(SARIFReporter.fingerprint(other) != a)
        other = original
        other.rule = TestWarningRule.id
        #expect(SARIFReporter.fingerprint(other) != a)
        // A known value, so the hash cannot change silently between versions (it keys alerts on GitHub).
        #expect(SARIFReporter.fingerprint(original) == fnv1a64("RLX01\u{1F}configs/net ü.yaml\u{1F}ëmbed_ü\u{1F}layer 'dätä' does not exist in the network"))
    }

    /// Artifact URIs are percent-encoded; absolute paths become `file://` URIs.
    @Test func sarifURIs() {
        #expect(SARIFReporter.artifactURI("configs/net.yaml") == "configs/net.yaml")
        #expect(SARIFReporter.artifactURI("configs/my net ü.yaml") == "configs/my%20net%20%C3%BC.yaml")
        #expect(SARIFReporter.artifactURI("a:b#c?d%e.json") == "a%3Ab%23c%3Fd%25e.json")
        #expect(SARIFReporter.artifactURI("/abs/dir x/n.yaml") == "file:///abs/dir%20x/n.yaml")
        #expect(SARIFReporter.artifactURI("-") == "-")
    }

    /// The SARIF documents validated against the schema, by name.
    static let schemaCases: [String] = ["sample", "empty", "awkward-paths", "no-sources"]

    /// SARIF output validates against the official 2.1.0 schema (via python3 + jsonschema).
    @Test(
        .enabled(
            if: jsonschemaAvailable,
            "python3 with the jsonschema package is not installed: SARIF output is NOT validated against the schema"),
        arguments: schemaCases)
    func sarifValidatesAgainstSchema(_ name: String) throws {
        let schema = packageRoot.appendingPathComponent("fixtures/sarif/sarif-schema-2.1.0.json")
        #expect(FileManager.default.fileExists(atPath: schema.path), "the SARIF schema fixture is missing")
        let sample = try Sample.make()
        let sarif: String
        switch name {
        case "sample":
            sarif = SARIFReporter.render(sample.findings, rules: testRules, sources: sample.sources)
        case "empty":
            sarif = SARIFReporter.render([], rules: RuleRegistry.all)
        case "awkward-paths":
            var findings: [Finding] = []
            for path in ["/tmp/abs dir/nét.yaml", "a:b,c%d#e?.json", "-", "../up/ü ü.yml"] {
                let source = SourceText(path: path, text: yamlText)
                findings.append(
                    Finding(
                        rule: TestErrorRule.id, severity: .error, message: "x", source: source,
                        span: try byteRange(of: "dätä", in: yamlText), layerPath: "a/b",
                        notes: [Note("here", span: 0..<1)],
                        fix: Fix(message: "f", edits: [TextEdit(range: 0..<0, replacement: "#")], applicability: .safe)))
            }
            sarif = SARIFReporter.render(findings, rules: RuleRegistry.all)
        default:
            sarif = SARIFReporter.render(sample.findings, rules: [])
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("returnn-lint-\(UUID().uuidString).sarif")
        try Data(sarif.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try #require(runPython(["-c", sarifValidatorScript, schema.path, file.path]))
        #expect(run.status == 0, "SARIF (\(name)) does not validate:\n\(run.output)")
        #expect(run.output.contains("): valid"))
    }

    // MARK: GitHub

    /// Data and property escaping of workflow commands (`%`, CR, LF; `:` and `,` in properties).
    @Test func githubEscaping() throws {
        let path = "dir,x/a:b%c\nd.yaml"
        let text = "line one\nbad: value\n"
        let source = SourceText(path: path, text: text)
        let finding = Finding(
            rule: TestWarningRule.id, severity: .warning, message: "50% done\r\nnext: a,b", source: source,
            span: try byteRange(of: "value", in: text), notes: [Note("see 'x', too: 100%")])
        #expect(
            GitHubReporter.render([finding])
                == "::warning file=dir%2Cx/a%3Ab%25c%0Ad.yaml,line=2,col=6,endLine=2,endColumn=11,title=returnn-lint (RLX02 redundant-thing)::50%25 done%0D%0Anext: a,b%0Anote: see 'x', too: 100%25\n"
        )
        #expect(GitHubReporter.escapeProperty("a:b,c%d\re\nf") == "a%3Ab%2Cc%25d%0De%0Af")
        #expect(GitHubReporter.escapeData("a:b,c%d\re\nf") == "a:b,c%25d%0De%0Af")
    }

    /// A span over several lines gets no `col`/`endColumn`; notes and the fix follow on `%0A` lines.
    @Test func githubMultiLineSpanOmitsColumns() throws {
        let sample = try Sample.make()
        let redundant = try #require(sample.findings.first { $0.rule == TestWarningRule.id })
        let line = GitHubReporter.command(for: redundant, source: sample.sources[yamlPath])
        #expect(line.hasPrefix("::warning file=configs/net ü.yaml,line=7,endLine=10,title=returnn-lint (RLX02 redundant-thing)::"))
        #expect(!line.contains("col="))
        #expect(!line.contains("endColumn="))
        #expect(line.contains("%0Anote: 'ëmbed_ü' is not masked (9:11)"))
        #expect(line.contains("%0Ahelp: remove 'unmask_h' and point its consumers at 'ëmbed_ü' (safe fix)"))
    }

    /// error / info / warning map to `::error`, `::notice`, `::warning`.
    @Test func githubSeverities() throws {
        let sample = try Sample.make()
        let lines = GitHubReporter.render(sample.findings, sources: sample.sources).split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.map { $0.prefix(while: { $0 != " " }) } == ["::error", "::notice", "::warning", "::warning"])
    }

    // MARK: Statistics

    /// Statistics sort by count then code, count safe fixes, and fall back to text for SARIF/GitHub.
    @Test func statisticsOrderAndFallback() throws {
        let sample = try Sample.make()
        let findings = sample.findings + sample.findings.filter { $0.rule == TestInfoRule.id }
        let entries = StatisticsReporter.entries(findings)
        // RLX03 twice first; the rest once each, by code.
        #expect(entries.map(\.rule.code) == ["RLX03", "RLX01", "RLX02", "RLX09"])
        #expect(entries.map(\.count) == [2, 1, 1, 1])
        // Only safe fixes count as fixable (what --fix applies).
        #expect(entries.map(\.fixableCount) == [0, 0, 1, 0])
        let text = StatisticsReporter.render(findings, format: .text)
        #expect(StatisticsReporter.render(findings, format: .sarif) == text)
        #expect(StatisticsReporter.render(findings, format: .github) == text)
        let json = try #require(try parseJSON(StatisticsReporter.render(findings, format: .json)) as? [[String: Any]])
        #expect(json.count == 4)
        #expect(Set(json[0].keys) == ["code", "name", "count", "fixable", "fixable_count"])
        #expect(json[2]["fixable"] as? Bool == true)
        #expect(json[2]["fixable_count"] as? Int == 1)
    }

    // MARK: rule command

    /// `rule` parses `--output-format` and rejects bad combinations.
    @Test func ruleCommandOptions() throws {
        let json = try RuleCommand.parse(["unknown-reference", "--output-format", "json"])
        #expect(json.outputFormat == .json)
        #expect(json.rule == "unknown-reference")
        #expect(throws: (any Error).self) { try RuleCommand.parse(["--all", "RL001"]) }
        #expect(throws: (any Error).self) { try RuleCommand.parse([]) }
        #expect(throws: (any Error).self) { try RuleCommand.parse(["no-such-rule"]) }
        #expect(throws: (any Error).self) { try RuleCommand.parse(["--all", "--output-format", "sarif"]) }
    }

    /// `rule --all` lists every registered rule, in text and JSON.
    @Test func ruleListCoversRegistry() throws {
        let text = RuleCommand.renderList(RuleRegistry.all)
        let lines = text.split(separator: "\n")
        #expect(lines.count == RuleRegistry.all.count)
        for (line, rule) in zip(lines, RuleRegistry.all) {
            #expect(line.hasPrefix(rule.id.code + " "))
            #expect(line.contains(" " + rule.id.name + " "))
            #expect(line.hasSuffix(rule.documentation.summary))
        }
        let json = try #require(try parseJSON(RuleCommand.renderList(RuleRegistry.all, format: .json)) as? [[String: Any]])
        #expect(json.map { $0["code"] as? String } == RuleRegistry.all.map { $0.id.code })
        for item in json {
            #expect(Set(item.keys) == ["code", "name", "severity", "summary", "what", "why", "example", "fix", "url"])
        }
    }

    /// Every registered rule explains what, why, an example, the fix and a link.
    @Test func ruleTextHasEverySection() throws {
        for rule in RuleRegistry.all {
            let text = RuleCommand.render(rule)
            for heading in ["What it checks:", "Why it matters:", "Example:", "How to fix:", "Documentation: "] {
                #expect(text.contains(heading), "\(rule.id.code) lacks '\(heading)'")
            }
            #expect(text.hasPrefix("\(rule.id.code) \(rule.id.name) (\(rule.severity.rawValue))\n"))
        }
    }
}

/// FNV-1a 64 of a string's UTF-8, as 16 hex digits (an independent implementation for the fingerprint test).
func fnv1a64(_ text: String) -> String {
    var hash: UInt64 = 14_695_981_039_346_656_037
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
