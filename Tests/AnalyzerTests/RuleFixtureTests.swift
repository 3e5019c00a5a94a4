import Foundation
import NetConfig
import Testing

@testable import Analyzer

// Every fixture under fixtures/rules/<rule-name>/ runs through `Analysis(config:).findings()` and is compared
// with its `<case>.expected` (one `LINE:COL CODE message` line per finding, in report order). Its
// `<case>.oracle.json` (made by fixtures/rules/oracle-verify.py with real RETURNN) says what RETURNN did with
// the fixture; the tests assert that our findings agree with it, without running RETURNN.
//
// `RECORD_GOLDEN=1 swift test --filter RuleFixtureTests` rewrites the .expected files (and fails).

// MARK: - Fixtures

/// One fixture file.
struct RuleFixture: CustomTestStringConvertible, Sendable {
    /// The rule folder (`unmask-redundant`) or `conformance` for records about ../shared/conformance cases.
    let folder: String
    /// The config file.
    let file: URL
    /// `<case>` without extension.
    var caseName: String { file.deletingPathExtension().lastPathComponent }
    /// `<case>.expected`.
    var expected: URL { file.deletingLastPathComponent().appendingPathComponent(caseName + ".expected") }
    /// `<case>.oracle.json`.
    var oracleRecord: URL { file.deletingLastPathComponent().appendingPathComponent(caseName + ".oracle.json") }
    /// True for YAML fixtures.
    var isYAML: Bool { file.pathExtension == "yaml" || file.pathExtension == "yml" }
    var testDescription: String { "\(folder)/\(file.lastPathComponent)" }
}

enum RuleFixtures {
    static let root = SharedFiles.fixtures.appendingPathComponent("rules")

    /// The rule folders, sorted.
    static var folders: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: root.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue && !["conformance", "corpus"].contains(name)
        }.sorted()
    }

    /// Every config fixture (JSON or YAML; records and goldens excluded), sorted by folder and name.
    static var all: [RuleFixture] {
        folders.flatMap { folder -> [RuleFixture] in
            let dir = root.appendingPathComponent(folder)
            let files = SharedFiles.files(in: dir, suffix: ".json") + SharedFiles.files(in: dir, suffix: ".yaml")
            return files.filter { !$0.lastPathComponent.hasSuffix(".oracle.json") }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
                .map { RuleFixture(folder: folder, file: $0) }
        }
    }

    /// Oracle records about conformance cases (fixtures/rules/conformance/<case>.oracle.json).
    static var conformanceRecords: [URL] {
        SharedFiles.files(in: root.appendingPathComponent("conformance"), suffix: ".oracle.json")
    }

    /// Findings as `.expected` lines.
    static func render(_ findings: [Finding]) -> String {
        findings.map { "\($0.start) \($0.rule.code) \($0.message)\n" }.joined()
    }

    static func analysis(of file: URL) throws -> Analysis {
        Analysis(config: try SharedFiles.load(file))
    }
}

// MARK: - Oracle records

/// A record written by fixtures/rules/oracle-verify.py.
struct OracleRecord {
    /// What real RETURNN did in one optimize mode (`inspect`).
    struct Mode {
        var error: String?
        var outputErrors: [String: String]
        var subjectBuilt: Bool?
    }

    var fixtureHash: String
    var rule: String
    var layer: String
    /// "inspect" or "compare".
    var oracle: String
    /// inspect: per mode ("opt", "noopt").
    var modes: [String: Mode] = [:]
    /// inspect with a fix: what RETURNN did with our fixed config, per mode.
    var fixedModes: [String: Mode]?
    /// compare: the original and the rewrite give the same outputs in both of the rewrite's modes.
    var equivalent: Bool?
    /// compare: whether each build (A_on, A_off, B_on, B_off) constructed.
    var constructs: [String: Bool] = [:]
    /// compare: the rewrite is our own fix (its network is then stored).
    var rewriteIsOurFix = false

    init(_ url: URL) throws {
        let json = try SharedFiles.json(url)
        fixtureHash = json["fixture_fnv1a64"] as? String ?? ""
        let subject = json["subject"] as? [String: Any] ?? [:]
        rule = subject["rule"] as? String ?? ""
        layer = subject["layer"] as? String ?? ""
        oracle = json["oracle"] as? String ?? ""
        let result = json["result"] as? [String: Any] ?? [:]
        modes = Self.modes(result)
        if let fixed = json["fixed"] as? [String: Any], let fixedResult = fixed["result"] as? [String: Any] {
            fixedModes = Self.modes(fixedResult)
        }
        equivalent = result["equivalent"] as? Bool
        for (name, value) in result["constructs"] as? [String: Any] ?? [:] { constructs[name] = (value as? Bool) == true }
        rewriteIsOurFix = (json["rewrite"] as? String)?.hasPrefix("our fix") == true
    }

    static func modes(_ result: [String: Any]) -> [String: Mode] {
        var modes: [String: Mode] = [:]
        for (name, value) in result["modes"] as? [String: Any] ?? [:] {
            guard let m = value as? [String: Any] else { continue }
            modes[name] = Mode(
                error: m["error"] as? String, outputErrors: m["output_errors"] as? [String: String] ?? [:],
                subjectBuilt: m["subject_built"] as? Bool)
        }
        return modes
    }

    /// The mode the config itself asks for (`optimize_move_layers_out`, default on).
    static func ownMode(of analysis: Analysis) -> String {
        analysis.config.setting("optimize_move_layers_out")?.boolValue == false ? "noopt" : "opt"
    }
}

/// FNV-1a 64 of a file's bytes (the records carry it to notice fixtures edited after their verification).
func fnv1a64(_ bytes: [UInt8]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

/// A JSON/YAML value without positions, for comparing a fixed fixture with the network RETURNN verified.
indirect enum PlainValue: Hashable, CustomStringConvertible {
    case object([String: PlainValue])
    case array([PlainValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    init(_ node: ConfigNode) {
        switch node.value {
        case .mapping(let entries):
            var object: [String: PlainValue] = [:]
            for entry in entries { object[entry.key.stringValue ?? "\(entry.key.value)"] = PlainValue(entry.value) }
            self = .object(object)
        case .sequence(let items): self = .array(items.map(PlainValue.init))
        case .string(let s): self = .string(s)
        case .int(let i): self = .number(Double(i))
        case .float(let d): self = .number(d)
        case .bool(let b): self = .bool(b)
        case .null: self = .null
        }
    }

    subscript(key: String) -> PlainValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var description: String {
        switch self {
        case .object(let o): return "{" + o.keys.sorted().map { "\($0): \(o[$0].map(\.description) ?? "")" }.joined(separator: ", ") + "}"
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .string(let s): return "\"\(s)\""
        case .number(let n): return "\(n)"
        case .bool(let b): return "\(b)"
        case .null: return "null"
        }
    }

    /// Parses a JSON or YAML file (format from the path).
    static func parse(bytes: [UInt8], path: String) throws -> PlainValue {
        let document = try ConfigParser.parse(SourceText(path: path, bytes: bytes), format: .forPath(path))
        return PlainValue(document.root)
    }
}

/// The fixture text with `edits` applied (nil when they overlap or leave the text).
func applying(_ edits: [TextEdit], to bytes: [UInt8]) -> [UInt8]? {
    let sorted = edits.sorted { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
    var out: [UInt8] = []
    var cursor = 0
    for edit in sorted {
        guard edit.range.lowerBound >= cursor, edit.range.upperBound <= bytes.count else { return nil }
        out += bytes[cursor..<edit.range.lowerBound]
        out += Array(edit.replacement.utf8)
        cursor = edit.range.upperBound
    }
    out += bytes[cursor...]
    return out
}

// MARK: - Tests

@Suite("Rule fixtures")
struct RuleFixtureTests {
    @Test("findings match <case>.expected", arguments: RuleFixtures.all)
    func findingsMatchExpected(_ fixture: RuleFixture) throws {
        let analysis = try RuleFixtures.analysis(of: fixture.file)
        let actual = RuleFixtures.render(analysis.findings())
        if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
            try actual.write(to: fixture.expected, atomically: true, encoding: .utf8)
            Issue.record("recorded \(fixture.expected.lastPathComponent); unset RECORD_GOLDEN and run again")
            return
        }
        let expected = try String(contentsOf: fixture.expected, encoding: .utf8)
        #expect(actual == expected, "\(fixture.testDescription): got\n\(actual)")
    }

    @Test("every rule folder is a rule name, with positive and negative cases in JSON and YAML")
    func coverage() throws {
        let folders = RuleFixtures.folders
        for rule in RuleRegistry.all {
            #expect(folders.contains(rule.id.name), "no fixtures for \(rule.id)")
        }
        // A case is its name without extension: its .expected and .oracle.json must not be shared.
        let caseNames = RuleFixtures.all.map { "\($0.folder)/\($0.caseName)" }
        #expect(Set(caseNames).count == caseNames.count, "two fixtures share a case name")
        for folder in folders {
            let rule = try #require(RuleRegistry.rule(named: folder), "folder '\(folder)' is not a rule name")
            var kinds = Set<String>()
            for fixture in RuleFixtures.all where fixture.folder == folder {
                let expected = (try? String(contentsOf: fixture.expected, encoding: .utf8)) ?? ""
                let positive = expected.split(separator: "\n").contains { $0.split(separator: " ").dropFirst().first == Substring(rule.id.code) }
                kinds.insert("\(positive ? "positive" : "negative")-\(fixture.isYAML ? "yaml" : "json")")
            }
            #expect(kinds == ["positive-yaml", "positive-json", "negative-yaml", "negative-json"], "\(folder): only \(kinds.sorted())")
        }
    }

    @Test("every fixture was verified against RETURNN", arguments: RuleFixtures.all)
    func hasCurrentOracleRecord(_ fixture: RuleFixture) throws {
        let record = try OracleRecord(fixture.oracleRecord)
        let bytes = [UInt8](try Data(contentsOf: fixture.file))
        #expect(record.fixtureHash == fnv1a64(bytes), "\(fixture.testDescription) changed after its verification: run fixtures/rules/oracle-verify.py")
        #expect(RuleRegistry.rule(named: record.rule)?.id.name == fixture.folder, "the record is about \(record.rule)")
    }

    @Test("our verdict agrees with RETURNN's", arguments: RuleFixtures.all)
    func agreesWithReturnn(_ fixture: RuleFixture) throws {
        let record = try OracleRecord(fixture.oracleRecord)
        let analysis = try RuleFixtures.analysis(of: fixture.file)
        try Self.checkAgreement(record, analysis: analysis, bytes: [UInt8](try Data(contentsOf: fixture.file)), path: fixture.file.path,
                                recordURL: fixture.oracleRecord)
    }

    /// Every RL101 finding (whatever folder its fixture is in) is backed by a comparison with RETURNN: the
    /// fixture's own record, or a second one named `<case>.RL101.oracle.json`.
    @Test("every redundant unmask we report was removed and compared with RETURNN", arguments: RuleFixtures.all)
    func everyRedundantVerdictIsVerified(_ fixture: RuleFixture) throws {
        let analysis = try RuleFixtures.analysis(of: fixture.file)
        let redundant = analysis.findings().filter { $0.rule.code == "RL101" }
        guard !redundant.isEmpty else { return }
        let second = fixture.file.deletingLastPathComponent().appendingPathComponent(fixture.caseName + ".RL101.oracle.json")
        let own = try OracleRecord(fixture.oracleRecord)
        let recordURL = own.rule == "RL101" ? fixture.oracleRecord : second
        let record = try OracleRecord(recordURL)
        let bytes = [UInt8](try Data(contentsOf: fixture.file))
        #expect(record.rule == "RL101" && record.oracle == "compare", "\(fixture.testDescription): no RETURNN comparison for RL101")
        #expect(record.fixtureHash == fnv1a64(bytes), "\(fixture.testDescription) changed after its verification")
        #expect(redundant.allSatisfy { $0.layerPath == record.layer }, "\(fixture.testDescription): RL101 on other layers than '\(record.layer)'")
        try Self.checkAgreement(record, analysis: analysis, bytes: bytes, path: fixture.file.path, recordURL: recordURL)
    }

    @Test("conformance cases with a redundant unmask: removing it keeps RETURNN's outputs", arguments: RuleFixtures.conformanceRecords)
    func conformanceRewrites(_ recordURL: URL) throws {
        let record = try OracleRecord(recordURL)
        let name = recordURL.lastPathComponent.replacingOccurrences(of: ".oracle.json", with: ".json")
        let file = SharedFiles.shared.appendingPathComponent("conformance/cases/\(name)")
        let bytes = [UInt8](try Data(contentsOf: file))
        #expect(record.fixtureHash == fnv1a64(bytes), "\(name) changed after its verification")
        try Self.checkAgreement(record, analysis: try RuleFixtures.analysis(of: file), bytes: bytes, path: file.path, recordURL: recordURL)
    }

    // MARK: Agreement

    static func checkAgreement(_ record: OracleRecord, analysis: Analysis, bytes: [UInt8], path: String, recordURL: URL) throws {
        let findings = analysis.findings()
        // Unmask findings are about the record's layer; a structural finding may point at an option or a key.
        let structural = record.rule < "RL100"
        let mine = findings.filter { $0.rule.code == record.rule && (structural || $0.layerPath == record.layer) }
        let context = "\(path) [\(record.rule) on '\(record.layer)']"
        let mode = OracleRecord.ownMode(of: analysis)
        switch record.oracle {
        case "inspect":
            let result = try #require(record.modes[mode], "\(context): no '\(mode)' result")
            let predictions = UnmaskRuleFacts.allFailurePredictions(findings)
            // RETURNN refuses the network ⟺ one of our rules says it will (RL104 predicts wrong values, RL105 a
            // run-time error, RL004 nothing: those are not counted).
            #expect((result.error != nil) == !predictions.isEmpty,
                    "\(context): RETURNN error \(result.error ?? "none") but our errors \(predictions.map(\.message))")
            let patterns = (UnmaskRuleFacts.constructionErrors + UnmaskRuleFacts.structuralErrors).filter { $0.code == record.rule }.map(\.pattern)
            if !patterns.isEmpty {
                let predicted = mine.contains { $0.severity == .error }
                let failed = result.error.map { error in patterns.contains { error.contains($0) } } ?? false
                #expect(predicted == failed, "\(context): RETURNN says \(result.error ?? "builds"), we say \(mine.map(\.message))")
            }
            switch record.rule {
            case "RL105":
                // A mask true on padding makes the outside-loop unmask gather out of range at run time.
                let crashed = result.outputErrors.values.contains { $0.contains("does not index into param shape") }
                #expect(crashed == !mine.isEmpty, "\(context): RETURNN run errors \(result.outputErrors), we say \(mine.map(\.message))")
            case "RL004":
                // Python keeps the last of the duplicated keys: RETURNN builds, and we only warn.
                #expect(result.error == nil && mine.allSatisfy { $0.severity == .warning }, "\(context): \(result.error ?? "builds")")
            case "RL108":
                let built = try #require(result.subjectBuilt, "\(context): no construction to look at")
                #expect(built == mine.isEmpty, "\(context): RETURNN built the layer: \(built); we say \(mine.map(\.message))")
            default:
                break
            }
            if let fixed = record.fixedModes?[mode] {
                // Our fix for the failure gives a network RETURNN builds and runs.
                let fix = try #require(mine.first?.fix, "\(context): RETURNN verified a fix we no longer offer")
                #expect(fixed.error == nil && fixed.outputErrors.isEmpty, "\(context): the fixed network fails: \(fixed.error ?? "\(fixed.outputErrors)")")
                try expectFixMatchesRecord(fix, bytes: bytes, path: path, recordURL: recordURL, key: "fixed", context: context)
            }
        case "compare":
            let equivalent = try #require(record.equivalent, "\(context): no comparison")
            #expect(record.constructs["A_on"] == true || mode != "opt", "\(context): the original does not build")
            switch record.rule {
            case "RL101":
                // Redundant ⟺ RETURNN's outputs do not change without the unmask.
                #expect(equivalent == !mine.isEmpty, "\(context): RETURNN equivalent=\(equivalent), we say \(mine.map(\.message))")
                if equivalent, let verdict = analysis.unmasks.verdicts.first(where: { analysis.graph[$0.unmask].pathString == record.layer }) {
                    #expect(verdict.kind == .redundant)
                }
            case "RL104":
                // The mask matters (values change with the right mask) ⟺ error; no effect ⟺ warning or, when the
                // two masks are the same values (a copy, an identical layer), no finding at all.
                if let finding = mine.first {
                    #expect((finding.severity == .error) == !equivalent, "\(context): RETURNN equivalent=\(equivalent), we say \(finding.severity)")
                } else {
                    #expect(equivalent, "\(context): RETURNN's values change with the other mask, but we say nothing")
                }
            case "RL106":
                // Silently ignored: RETURNN builds it, and dropping the option changes nothing.
                let finding = try #require(mine.first, "\(context): no RL106 finding")
                #expect(equivalent && finding.severity == .warning, "\(context): RETURNN equivalent=\(equivalent), we say \(finding.severity)")
            default:
                Issue.record("\(context): no agreement rule for a comparison")
            }
            if record.rewriteIsOurFix {
                let fix = try #require(mine.first?.fix, "\(context): the verified rewrite is our fix, but we offer none now")
                try expectFixMatchesRecord(fix, bytes: bytes, path: path, recordURL: recordURL, key: nil, context: context)
            }
        default:
            Issue.record("\(context): unknown oracle kind '\(record.oracle)'")
        }
    }

    /// Our fix applied to the fixture gives exactly the network RETURNN was run on.
    static func expectFixMatchesRecord(_ fix: Fix, bytes: [UInt8], path: String, recordURL: URL, key: String?, context: String) throws {
        let fixed = try #require(applying(fix.edits, to: bytes), "\(context): the fix's edits overlap")
        let ours = try PlainValue.parse(bytes: fixed, path: path)
        let record = try PlainValue.parse(bytes: [UInt8](try Data(contentsOf: recordURL)), path: recordURL.path)
        let verified = try #require((key.flatMap { record[$0] } ?? record)["rewritten_network"], "\(context): the record has no rewritten network")
        #expect((ours["network"] ?? ours) == verified, "\(context): our fix now gives\n\(ours["network"] ?? ours)\nRETURNN verified\n\(verified)")
    }
}
