import Foundation
import NetConfig
import Testing

@testable import Analyzer

// Fix safety as a property over real and hostile inputs: the corpus (../shared/corpus, read in place), the
// bad-input suite (fixtures/bad-input), the fuzz regressions (fixtures/fuzz-regressions) and the rule fixtures.
// For every file that loads and every fix a rule offers (safe and unsafe):
//   - the edits are disjoint and inside the file, and `TextEdits.apply` changes no byte outside them (checked
//     here byte by byte, without `TextEdits`);
//   - the result loads again, in the same format;
// and `FixEngine` (verification off, safe fixes only and with unsafe fixes) reaches a fixed point without a
// reverted pass, writes text that loads, and a second run changes nothing. The fuzz target `fix` (Fuzz/) checks
// the same on generated inputs. (The atomic writes of `--fix` are tested through the CLI, in CLITests.)

// MARK: - Inputs

/// One input file and its format.
struct FixSafetyInput: CustomTestStringConvertible, Sendable {
    let file: URL
    let group: String
    var format: SourceFormat { SourceFormat.forPath(file.path) }
    var testDescription: String { "\(group)/\(file.lastPathComponent)" }

    /// Files under `folder` (recursively) with a config extension; oracle records and goldens excluded.
    static func files(under folder: URL, group: String) -> [FixSafetyInput] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var result: [FixSafetyInput] = []
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".json") || relative.hasSuffix(".yaml") || relative.hasSuffix(".yml"),
                !relative.hasSuffix(".oracle.json"), !relative.hasSuffix(".golden.json")
            else { continue }
            result.append(FixSafetyInput(file: folder.appendingPathComponent(relative), group: group))
        }
        return result.sorted { $0.file.path < $1.file.path }
    }

    static let corpus = files(under: SharedFiles.shared.appendingPathComponent("corpus"), group: "corpus")
    static let local =
        files(under: SharedFiles.fixtures.appendingPathComponent("bad-input"), group: "bad-input")
        + files(under: SharedFiles.fixtures.appendingPathComponent("fuzz-regressions"), group: "fuzz-regressions")
        + files(under: SharedFiles.fixtures.appendingPathComponent("rules"), group: "rules")
        + files(under: SharedFiles.fixtures.appendingPathComponent("demo"), group: "demo")
}

// MARK: - The properties

enum FixSafety {
    /// Compares `result` with `original` around `edits`, without `TextEdits`: the bytes between edits are
    /// copied, each edit's range is replaced by exactly its replacement. Returns what differs, or nil.
    static func changesOutside(_ edits: [TextEdit], original: [UInt8], result: [UInt8]) -> String? {
        let sorted = edits.sorted { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        var inOriginal = 0
        var inResult = 0
        for edit in sorted {
            let gap = edit.range.lowerBound - inOriginal
            guard gap >= 0, edit.range.upperBound <= original.count, inResult + gap <= result.count else {
                return "edit \(edit.range) overlaps another or is outside the file"
            }
            if original[inOriginal..<edit.range.lowerBound] != result[inResult..<(inResult + gap)] {
                return "bytes \(inOriginal)..<\(edit.range.lowerBound) (between edits) changed"
            }
            inResult += gap
            let replacement = Array(edit.replacement.utf8)
            guard inResult + replacement.count <= result.count,
                result[inResult..<(inResult + replacement.count)].elementsEqual(replacement)
            else { return "edit \(edit.range) was not replaced by exactly its replacement" }
            inResult += replacement.count
            inOriginal = edit.range.upperBound
        }
        guard original[inOriginal...].elementsEqual(result[inResult...]) else {
            return "bytes after offset \(inOriginal) (after the last edit) changed"
        }
        return nil
    }

    /// How many fixes of one rule in one file are applied and checked one by one.
    static let fixesPerRule = 25

    static func run(_ source: SourceText, format: SourceFormat, includeUnsafe: Bool) throws -> FixOutcome {
        try FixEngine.run(source, format: format, options: FixOptions(includeUnsafe: includeUnsafe, verify: false), verifier: nil)
    }

    /// Checks every property on one file; returns the number of fixes checked (nil: the file does not load).
    @discardableResult
    static func check(_ input: FixSafetyInput) throws -> Int? {
        let bytes = [UInt8](try Data(contentsOf: input.file))
        let source = SourceText(path: input.file.path, bytes: bytes)
        guard let config = try? NetworkConfig.load(source, format: input.format) else { return nil }
        let findings = Analysis(config: config).findings()
        var checked = 0
        var kinds = Set<Applicability>()
        var perRule: [String: Int] = [:]
        for finding in findings {
            guard let fix = finding.fix, fix.applicability != .displayOnly else { continue }
            kinds.insert(fix.applicability)
            // Each fix alone costs a reload of the whole file: on the generated 2,000-layer inputs checking all
            // of them is quadratic. The first `fixesPerRule` of each rule are checked alone; the engine runs
            // below apply all of them together.
            perRule[finding.rule.code, default: 0] += 1
            guard perRule[finding.rule.code, default: 0] <= fixesPerRule else { continue }
            let what = "\(input.testDescription): \(finding.rule.code) at \(finding.start) '\(fix.message)'"
            #expect(!fix.edits.isEmpty, "\(what): a fix without edits")
            #expect(TextEdits.areDisjoint(fix.edits), "\(what): overlapping edits")
            #expect(fix.edits.allSatisfy { $0.range.upperBound <= bytes.count }, "\(what): an edit outside the file")
            guard let fixed = TextEdits.apply(fix.edits, to: bytes) else {
                Issue.record("\(what): the edits do not apply")
                continue
            }
            if let problem = changesOutside(fix.edits, original: bytes, result: fixed) { Issue.record("\(what): \(problem)") }
            do {
                _ = try NetworkConfig.load(SourceText(path: source.path, bytes: fixed), format: input.format)
            } catch {
                Issue.record("\(what): the fixed text does not load: \(error.rendered(in: SourceText(path: source.path, bytes: fixed)))")
            }
            checked += 1
        }
        // The engine, to its fixed point: safe fixes (when any are offered) and all fixes (when unsafe ones are).
        for includeUnsafe in [false, true] where includeUnsafe ? kinds.contains(.unsafe) : kinds.contains(.safe) {
            let mode = includeUnsafe ? "with unsafe fixes" : "safe fixes"
            let outcome = try run(source, format: input.format, includeUnsafe: includeUnsafe)
            #expect(outcome.problem == nil, "\(input.testDescription) (\(mode)): \(outcome.problem ?? "")")
            let fixed = SourceText(path: source.path, bytes: outcome.fixedBytes)
            #expect(throws: Never.self, "\(input.testDescription) (\(mode)): the engine's text does not load") {
                _ = try NetworkConfig.load(fixed, format: input.format)
            }
            let again = try run(fixed, format: input.format, includeUnsafe: includeUnsafe)
            #expect(
                !again.changed,
                "\(input.testDescription) (\(mode)): a second run changed more: \(again.applied.map { "\($0.rule.code) \($0.fix?.message ?? "")" })")
        }
        return checked
    }
}

// MARK: - Tests

@Suite("Fix safety")
struct FixSafetyTests {
    @Test func theInputsAreThere() {
        #expect(FixSafetyInput.corpus.count >= 270, "../shared/corpus is missing")
        #expect(FixSafetyInput.local.filter { $0.group == "bad-input" }.count >= 200)
    }

    @Test(arguments: FixSafetyInput.corpus)
    func corpusFile(_ input: FixSafetyInput) throws {
        #expect(try FixSafety.check(input) != nil, "a corpus file does not load")
    }

    @Test(arguments: FixSafetyInput.local)
    func localFile(_ input: FixSafetyInput) throws {
        try FixSafety.check(input)
    }

    /// The property check itself finds what it is meant to find.
    @Test func theByteComparisonCatchesChangesOutsideTheEdits() {
        let original = Array("abcdef".utf8)
        let edit = TextEdit(range: 2..<4, replacement: "XY")
        #expect(FixSafety.changesOutside([edit], original: original, result: Array("abXYef".utf8)) == nil)
        #expect(FixSafety.changesOutside([edit], original: original, result: Array("zbXYef".utf8)) != nil)
        #expect(FixSafety.changesOutside([edit], original: original, result: Array("abXYeg".utf8)) != nil)
        #expect(FixSafety.changesOutside([edit], original: original, result: Array("abXef".utf8)) != nil)
        #expect(FixSafety.changesOutside([edit], original: original, result: Array("abXYef!".utf8)) != nil)
        #expect(FixSafety.changesOutside([TextEdit(range: 6..<6, replacement: "!")], original: original, result: Array("abcdef!".utf8)) == nil)
    }

    /// A fix that was offered, and checked, somewhere: the corpus and fixtures do exercise the fix builders.
    @Test func fixesAreActuallyChecked() throws {
        let demo = FixSafetyInput(file: SharedFiles.fixtures.appendingPathComponent("demo/transducer.yaml"), group: "demo")
        #expect(try FixSafety.check(demo) ?? 0 >= 1)
    }

    /// Regression (found by fuzzing): deleting the only layer of a block-style network left `network:` without
    /// a value (null), which does not load; it now leaves `network:` with `{}`.
    @Test func deletingTheOnlyLayerOfABlockNetworkLeavesAnEmptyMapping() throws {
        let text = "extern_data:\n  data:\n    dim: 5\nnetwork:\n  u:\n    class: unmask\n    from: data\n    mask: data\n"
        let source = SourceText(path: "only.yaml", text: text)
        let findings = Analysis(config: try NetworkConfig.load(source)).findings()
        let delete = try #require(findings.first { $0.rule.code == "RL108" }?.fix)
        let fixed = try #require(TextEdits.apply(delete.edits, to: source.bytes))
        #expect(String(decoding: fixed, as: UTF8.self) == "extern_data:\n  data:\n    dim: 5\nnetwork:\n  {}\n")
        let reloaded = try NetworkConfig.load(SourceText(path: "only.yaml", bytes: fixed))
        #expect(reloaded.layerCount == 0)
    }
}
