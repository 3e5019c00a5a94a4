import Analyzer
import NetConfig

/// Where the project and its rule documentation live (the one place these addresses are spelled out).
enum RuleLinks {
    /// The project's home page.
    static let homepage = "https://github.com/returnn-lint/returnn-lint"

    /// The page that documents every rule.
    static let rulesPage = homepage + "/blob/main/docs/rules.md"

    /// The documentation address of one rule (an anchor named after the rule).
    static func url(for rule: RuleID) -> String { rulesPage + "#" + rule.name }
}

/// ruff-compatible JSON: a bare array with one object per finding, in report order.
///
/// Each item has `code`, `name`, `severity`, `message`, `filename`, `location`/`end_location`
/// (1-based rows, columns in Unicode scalars), `byte_range`, `layer_path`, `notes`, `fix` (with
/// edits and the numeric verification) and `url`.
enum JSONReporter {
    /// The report for `findings`; `sources` (by display path) gives rows and columns of edits and notes.
    static func render(_ findings: [Finding], sources: [String: SourceText] = [:]) -> String {
        JSONValue.array(findings.map { item(for: $0, source: sources[$0.file]) }).rendered() + "\n"
    }

    /// The JSON object of one finding.
    static func item(for finding: Finding, source: SourceText?) -> JSONValue {
        .object([
            ("code", .string(finding.rule.code)),
            ("name", .string(finding.rule.name)),
            ("severity", .string(finding.severity.rawValue)),
            ("message", .string(finding.message)),
            ("filename", .string(finding.file)),
            ("location", position(finding.start)),
            ("end_location", position(finding.end)),
            ("byte_range", byteRange(finding.span)),
            ("layer_path", finding.layerPath.map(JSONValue.string) ?? .null),
            ("notes", .array(finding.notes.map { note(for: $0, source: source) })),
            ("fix", finding.fix.map { fix(for: $0, source: source) } ?? .null),
            ("url", .string(RuleLinks.url(for: finding.rule))),
        ])
    }

    /// `{row, column}` of a location.
    static func position(_ location: TextLocation) -> JSONValue {
        .object([("row", .int(location.line)), ("column", .int(location.column))])
    }

    /// `{row, column}` of a byte offset, or null when the text is not at hand.
    static func position(ofByte offset: Int, in source: SourceText?) -> JSONValue {
        source.map { position($0.location(ofByte: offset)) } ?? .null
    }

    /// `{start, end}` of a byte range (end exclusive).
    static func byteRange(_ range: Range<Int>) -> JSONValue {
        .object([("start", .int(range.lowerBound)), ("end", .int(range.upperBound))])
    }

    /// `{message, location}`; the location is null for a note without a span.
    static func note(for note: Note, source: SourceText?) -> JSONValue {
        .object([
            ("message", .string(note.message)),
            ("location", note.span.map { position(ofByte: $0.lowerBound, in: source) } ?? .null),
        ])
    }

    /// `{applicability, message, edits, verification}` of a fix.
    static func fix(for fix: Fix, source: SourceText?) -> JSONValue {
        .object([
            ("applicability", .string(fix.applicability.rawValue)),
            ("message", .string(fix.message)),
            (
                "edits",
                .array(
                    fix.edits.map { edit in
                        .object([
                            ("content", .string(edit.replacement)),
                            ("location", position(ofByte: edit.range.lowerBound, in: source)),
                            ("end_location", position(ofByte: edit.range.upperBound, in: source)),
                            ("byte_range", byteRange(edit.range)),
                        ])
                    })
            ),
            ("verification", fix.verification.map(verification) ?? .null),
        ])
    }

    /// The verification result with snake_case keys.
    static func verification(_ v: Verification) -> JSONValue {
        .object([
            ("status", .string(v.status.rawValue)),
            ("trials", .int(v.trials)),
            ("seed", .uint(v.seed)),
            ("max_abs_diff", .double(v.maxAbsDiff)),
            ("stand_ins", .array(v.standIns.map(JSONValue.string))),
            ("detail", v.detail.map(JSONValue.string) ?? .null),
            ("counterexample", v.counterexample.map(counterexample) ?? .null),
            ("compared_layers", .int(v.comparedLayers)),
        ])
    }

    /// A counterexample of a failed verification.
    static func counterexample(_ c: Verification.Counterexample) -> JSONValue {
        .object([
            ("trial", .int(c.trial)),
            ("seed", .uint(c.seed)),
            ("layer", .string(c.layer)),
            ("mode", .string(c.mode)),
            ("index", .array(c.index.map(JSONValue.int))),
            ("original", .double(c.original)),
            ("rewritten", .double(c.rewritten)),
        ])
    }
}
